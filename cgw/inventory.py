"""The inventory: `hosts.yaml`, `groups.yaml`, `defaults.yaml` (Nornir-like) → `Device` objects.

Precedence: the host over its groups (the first group listed over later ones) over the defaults;
mappings merge key by key. A credential given on a level — `username` or `username_env` —
replaces the one inherited as a unit: a group's `username: root` beats a default
`username_env: CGW_USERNAME`. Credentials are references (environment variable names, a key
file), never values. Numbers are strict (`true` is not a tunnel number). Two devices at one
host:port, two devices claiming one VPN and an empty inventory are errors. Every error names
the file, the device and the key.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pydantic
import yaml

from cgw.errors import InventoryError, ValidationError
from cgw.model import (
    Credentials,
    Device,
    LocalSettings,
    VpnSelector,
    ip_address,
    ipv4_network,
)
from cgw.platforms import UnknownPlatformError, get_platform

INVENTORY_FILES = ("hosts.yaml", "groups.yaml", "defaults.yaml")
_FORBIDDEN_SECRET_KEYS = ("password", "secret", "passphrase")


class _Strict(pydantic.BaseModel):
    model_config = pydantic.ConfigDict(extra="forbid", frozen=True, strict=False)


# YAML's `true` is an int to Python: numbers in the inventory must be written as numbers.
_Number = pydantic.StrictInt
# Keys that say the same thing in two ways: a level giving one replaces both inherited ones.
_ALTERNATIVES = (("credentials", ("username", "username_env")),)


class CredentialsSpec(_Strict):
    username: str | None = None
    username_env: str | None = None
    password_env: str | None = None
    secret_env: str | None = None
    key_file: str | None = None


class VpnSpec(_Strict):
    vpn_id: str | None = None
    customer_gateway_ip: str | None = None


class LocalSpec(_Strict):
    """The `local:` keys every platform has; the platform's options model takes the rest."""

    model_config = pydantic.ConfigDict(extra="allow", frozen=True, strict=False)

    wan_interface: str
    local_outside_ip: str | None = None
    tunnel_numbers: tuple[_Number, _Number] = (1, 2)
    local_asn: _Number | None = None
    advertised_prefixes: list[str] = []
    static_routes: list[str] = []


class HostSpec(_Strict):
    host: str
    port: _Number = 22
    platform: str
    groups: list[str] = []
    credentials: CredentialsSpec = CredentialsSpec()
    vpn: VpnSpec
    local: LocalSpec
    timeout: _Number = 30
    release: str | None = None


@dataclass(frozen=True)
class Inventory:
    """Every device of an inventory folder, by name, with its group memberships."""

    path: Path
    devices: Mapping[str, Device]
    groups: Mapping[str, tuple[str, ...]]  # group → device names

    def select(
        self, names: Iterable[str] = (), group: str | None = None, everything: bool = False
    ) -> list[Device]:
        """Devices by name, by group, or all; unknown names and groups are errors."""
        chosen: dict[str, Device] = {}
        if everything:
            chosen.update(self.devices)
        if group is not None:
            if group not in self.groups:
                known = ", ".join(sorted(self.groups)) or "none"
                raise InventoryError(f"{self.path}: no group {group!r} (groups: {known})")
            chosen.update({n: self.devices[n] for n in self.groups[group]})
        for name in names:
            if name not in self.devices:
                known = ", ".join(sorted(self.devices)) or "none"
                raise InventoryError(f"{self.path}: no device {name!r} (devices: {known})")
            chosen[name] = self.devices[name]
        if not chosen:
            raise InventoryError("name at least one device, or use --group G or --all")
        return list(chosen.values())


class _UniqueKeyLoader(yaml.SafeLoader):
    """A safe YAML loader that refuses duplicate keys (two hosts with the same name)."""


def _construct_mapping(loader: _UniqueKeyLoader, node: yaml.MappingNode) -> dict[Any, Any]:
    mapping: dict[Any, Any] = {}
    for key_node, value_node in node.value:
        key = loader.construct_object(key_node)
        if key in mapping:
            raise yaml.constructor.ConstructorError(
                None, None, f"duplicate key {key!r}", key_node.start_mark
            )
        mapping[key] = loader.construct_object(value_node, deep=True)
    return mapping


_UniqueKeyLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_mapping)


def _read_yaml(path: Path, *, named: bool = True) -> dict[str, Any]:
    """A YAML mapping; with `named`, of names (hosts, groups) to their settings mappings."""
    if not path.exists():
        return {}
    try:
        data = yaml.load(path.read_text(encoding="utf-8"), Loader=_UniqueKeyLoader)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" line {mark.line + 1}" if mark is not None else ""
        problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
        raise InventoryError(f"{path}:{where}: invalid YAML: {problem}") from None
    except OSError as exc:
        raise InventoryError(f"{path}: cannot read: {exc.strerror}") from None
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise InventoryError(f"{path}: expected a mapping of names to settings")
    if not named:
        return {str(k): v for k, v in data.items()}
    for name, value in data.items():
        if value is not None and not isinstance(value, dict):
            raise InventoryError(f"{path}: {name}: expected a mapping of settings")
    return {str(k): (v or {}) for k, v in data.items()}


def _merge(base: Mapping[str, Any], override: Mapping[str, Any]) -> dict[str, Any]:
    """Deep merge of two mappings; the override wins, nested mappings merge key by key, and
    a key of an alternative pair (username / username_env) replaces the inherited pair."""
    merged = dict(base)
    for section, keys in _ALTERNATIVES:
        given, inherited = override.get(section), merged.get(section)
        if (
            isinstance(given, Mapping)
            and isinstance(inherited, Mapping)
            and any(given.get(k) is not None for k in keys)
        ):
            merged[section] = {k: v for k, v in inherited.items() if k not in keys}
    for key, value in override.items():
        if isinstance(value, Mapping) and isinstance(merged.get(key), Mapping):
            merged[key] = _merge(merged[key], value)
        else:
            merged[key] = value
    return merged


def _refuse_plaintext_secrets(data: Mapping[str, Any], where: str) -> None:
    credentials = data.get("credentials")
    for mapping, prefix in ((data, ""), (credentials, "credentials.")):
        if not isinstance(mapping, Mapping):
            continue
        for key in _FORBIDDEN_SECRET_KEYS:
            if key in mapping:
                raise InventoryError(
                    f"{where}: {prefix}{key}: plaintext secrets are not allowed in the inventory;"
                    f" use {prefix}{key}_env (an environment variable name) or key_file"
                )


def _pydantic_message(exc: pydantic.ValidationError) -> str:
    error = exc.errors()[0]
    key = ".".join(str(p) for p in error["loc"]) or "(top level)"
    message = error["msg"]
    if error["type"] == "extra_forbidden":
        message = "unknown key"
    elif error["type"] == "missing":
        message = "required key is missing"
    return f"{key}: {message}"


def _device_from_spec(name: str, spec: HostSpec) -> Device:
    local = spec.local
    customer_gateway_ip = (
        ip_address(spec.vpn.customer_gateway_ip, "vpn.customer_gateway_ip")
        if spec.vpn.customer_gateway_ip is not None
        else None
    )
    return Device(
        name=name,
        host=_check_host(spec.host),
        port=spec.port,
        platform=spec.platform,
        groups=tuple(spec.groups),
        timeout_s=spec.timeout,
        release=spec.release,
        credentials=Credentials(**spec.credentials.model_dump()),
        vpn=VpnSelector(vpn_id=spec.vpn.vpn_id, customer_gateway_ip=customer_gateway_ip),
        local=LocalSettings(
            wan_interface=local.wan_interface,
            local_outside_ip=(
                ip_address(local.local_outside_ip, "local.local_outside_ip")
                if local.local_outside_ip is not None
                else None
            ),
            tunnel_numbers=local.tunnel_numbers,
            local_asn=local.local_asn,
            advertised_prefixes=tuple(
                ipv4_network(p, "local.advertised_prefixes") for p in local.advertised_prefixes
            ),
            static_routes=tuple(
                ipv4_network(p, "local.static_routes") for p in local.static_routes
            ),
            options=get_platform(spec.platform).options.from_settings(local.model_extra or {}),
        ),
    )


def _check_host(host: str) -> str:
    """A host name or address netmiko can dial: no spaces, no shell or config metacharacters."""
    allowed = set("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789.-:_")
    if not host or len(host) > 253 or not set(host) <= allowed:
        raise ValidationError(f"host must be a host name or IP address, got {host!r}")
    return host


def _refuse_duplicates(hosts_file: Path, devices: Mapping[str, Device]) -> None:
    """Two devices at one host:port, or two devices terminating one VPN, are errors."""
    addresses: dict[tuple[str, int], str] = {}
    vpns: dict[str, str] = {}
    for name, device in devices.items():
        other = addresses.setdefault((device.host, device.port), name)
        if other != name:
            raise InventoryError(
                f"{hosts_file}: device {name}: host/port: {device.host}:{device.port} is"
                f" already device {other}"
            )
        key = "vpn.vpn_id" if device.vpn.vpn_id else "vpn.customer_gateway_ip"
        selector = device.vpn.vpn_id or str(device.vpn.customer_gateway_ip)
        other = vpns.setdefault(selector, name)
        if other != name:
            raise InventoryError(
                f"{hosts_file}: device {name}: {key}: {selector} is already claimed by"
                f" device {other}; a VPN connection ends on one device"
            )


def load_inventory(path: Path) -> Inventory:
    """Read an inventory folder (or a hosts.yaml file) into validated devices."""
    folder = path.parent if path.is_file() else path
    hosts_file = path if path.is_file() else folder / "hosts.yaml"
    if not hosts_file.exists():
        raise InventoryError(f"{hosts_file}: no such inventory file")
    hosts = _read_yaml(hosts_file)
    groups = _read_yaml(folder / "groups.yaml")
    defaults_path = folder / "defaults.yaml"
    defaults = _read_yaml(defaults_path, named=False)
    for group_name, group in groups.items():
        _refuse_plaintext_secrets(group, f"{folder / 'groups.yaml'}: group {group_name}")
    _refuse_plaintext_secrets(defaults, str(defaults_path))

    devices: dict[str, Device] = {}
    members: dict[str, list[str]] = {name: [] for name in groups}
    for name, host in hosts.items():
        where = f"{hosts_file}: device {name}"
        _refuse_plaintext_secrets(host, where)
        group_names = host.get("groups", [])
        if not isinstance(group_names, list):
            raise InventoryError(f"{where}: groups: expected a list of group names")
        merged: dict[str, Any] = dict(defaults)
        for group_name in reversed(group_names):
            if group_name not in groups:
                raise InventoryError(f"{where}: groups: no group {group_name!r} in groups.yaml")
        for group_name in reversed(group_names):
            merged = _merge(merged, {k: v for k, v in groups[group_name].items() if k != "groups"})
        merged = _merge(merged, host)
        try:
            spec = HostSpec.model_validate(merged)
            devices[name] = _device_from_spec(name, spec)
        except pydantic.ValidationError as exc:
            raise InventoryError(f"{where}: {_pydantic_message(exc)}") from None
        except ValidationError as exc:
            raise InventoryError(f"{where}: {exc}") from None
        except UnknownPlatformError as exc:
            raise InventoryError(f"{where}: platform: {exc}") from None
        for group_name in group_names:
            members[group_name].append(name)
    if not devices:
        raise InventoryError(f"{hosts_file}: no devices: describe at least one host")
    _refuse_duplicates(hosts_file, devices)
    return Inventory(
        path=folder,
        devices=devices,
        groups={g: tuple(names) for g, names in members.items()},
    )
