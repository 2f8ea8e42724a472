"""`cgw lab routers`: simulated branch routers against a lab AWS running elsewhere.

For each router: a customer gateway and VPN connection in the lab AWS (through boto3, found by
Name tag when they exist), an SSH server on 127.0.0.1 judged by the AWS-backed oracle over the
lab's HTTP API, and an inventory entry. Every step is per router and constant in cost, so
hundreds of routers start in linear time.
"""

from __future__ import annotations

import errno
import secrets
from collections.abc import Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from ipaddress import IPv4Address, IPv4Network, ip_address
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

from cgw.errors import CgwError
from cgw.lab.sim_lab import (
    HEADER,
    PASSWORD_ENV,
    SimBranch,
    write_inventory,
    write_known_hosts,
)

if TYPE_CHECKING:
    from cgw.lab.routers import SimRouter
    from cgw.model import DeviceConfig

# Customer gateway addresses: documentation/benchmarking ranges, never put on an interface (the
# routers listen on 127.0.0.1). 203.0.113.1-99 is left to the seed (branch-01..04 use .11-.14).
CGW_RANGES = (
    (IPv4Address("203.0.113.100"), 155),
    (IPv4Network("198.19.0.0/16").network_address + 1, 65534),
)
FIRST_ASN = 65101
PREFIXES = IPv4Network("10.128.0.0/9")  # each router advertises one /24 of it
INVENTORY_FILES = ("hosts.yaml", "groups.yaml", "defaults.yaml")


class LabRoutersError(CgwError):
    """The lab routers cannot start as asked."""


def served_platforms() -> tuple[str, ...]:
    """Every cgw platform some simulator stands in for, sorted."""
    from cgw.lab.routers import all_simulators

    return tuple(sorted({p for s in all_simulators().values() for p in s.platforms}))


def customer_gateway_ip(index: int) -> str:
    """The `index`-th lab router's customer gateway address (see CGW_RANGES)."""
    for first, size in CGW_RANGES:
        if index < size:
            return str(first + index)
        index -= size
    raise LabRoutersError("too many lab routers: the customer gateway address ranges are used up")


def lab_branches(platforms: Sequence[str], count: int) -> list[SimBranch]:
    """`count` branches per platform, named `<platform>-NN`, each with its own address and /24."""
    branches: list[SimBranch] = []
    for platform in platforms:
        for number in range(1, count + 1):
            index = len(branches)
            if index >= 2 ** (24 - PREFIXES.prefixlen):
                raise LabRoutersError(f"too many lab routers for {PREFIXES}")
            prefix = IPv4Network((int(PREFIXES.network_address) + 256 * index, 24))
            branches.append(
                SimBranch(
                    name=f"{platform.replace('_', '-')}-{number:02d}",
                    platform=platform,
                    cgw_ip=customer_gateway_ip(index),
                    tunnel_numbers=(1, 2),
                    advertised_prefix=str(prefix),
                )
            )
    return branches


def bgp_asn(index: int) -> int:
    """The `index`-th router's private ASN (2-byte range first, then 4-byte)."""
    return FIRST_ASN + index if FIRST_ASN + index <= 65534 else 4_200_000_000 + index


@dataclass
class RouterLab:
    """Running lab routers and what a shell needs to reach them."""

    folder: Path
    branches: list[SimBranch]
    routers: dict[str, SimRouter] = field(default_factory=dict)
    env: dict[str, str] = field(default_factory=dict)

    @property
    def known_hosts(self) -> Path:
        return self.folder / "known_hosts"

    def stop(self) -> None:
        """Stop every router at once (each waits briefly for its threads)."""
        if not self.routers:
            return
        with ThreadPoolExecutor(max_workers=min(32, len(self.routers))) as pool:
            list(pool.map(lambda router: router.stop(), self.routers.values()))


def check_lab_endpoint(endpoint: str) -> None:
    """Only a lab AWS on this machine: routers are never provisioned against a real account."""
    host = urlsplit(endpoint).hostname or ""
    try:
        loopback = host == "localhost" or ip_address(host).is_loopback
    except ValueError:
        loopback = False
    if not loopback:
        raise LabRoutersError(
            f"AWS_ENDPOINT_URL={endpoint} is not a lab AWS on 127.0.0.1 (start `cgw lab aws`)"
        )


def check_inventory_dir(folder: Path) -> None:
    """Refuse to overwrite an inventory the lab did not write."""
    for name in INVENTORY_FILES:
        path = folder / name
        if path.exists() and not path.read_text(errors="replace").startswith(HEADER):
            raise LabRoutersError(
                f"{path} exists and was not written by cgw's lab: choose an empty --inventory-dir"
            )


def start_router_lab(
    folder: Path,
    endpoint: str,
    branches: list[SimBranch],
    *,
    running_configs: Mapping[str, DeviceConfig] | None = None,
    port_base: int = 0,
) -> RouterLab:
    """Create the branches' VPN connections in the lab AWS at `endpoint` and start the routers.

    `running_configs` maps a platform to the configuration its routers start with (a CLI device's
    text, or a host's files). `port_base` 0: any free ports; else router i listens on base + i.
    """
    from cgw.lab.aws_oracle import AwsOracle
    from cgw.lab.routers import SimClock, start_router
    from cgw.lab.seed import LAB_CREDENTIALS, SeedVpn, ensure_vpns

    check_lab_endpoint(endpoint)
    check_inventory_dir(folder)
    rows = [SeedVpn(b.name, b.cgw_ip, bgp_asn(i), "vgw") for i, b in enumerate(branches)]
    try:
        vpn_ids = ensure_vpns(endpoint, rows)
    except Exception as error:  # botocore's connection and client errors alike
        raise LabRoutersError(f"the lab AWS at {endpoint} refused: {error}") from None
    lab = RouterLab(folder=folder, branches=branches)
    password = secrets.token_urlsafe(18)
    keys = folder / "host-keys"
    try:
        for index, branch in enumerate(branches):
            port = port_base + index if port_base else 0
            config = (running_configs or {}).get(branch.platform)
            text, files = initial_config(config)
            try:
                lab.routers[branch.name] = start_router(
                    branch.platform,
                    hostname=branch.name,
                    username=branch.username,
                    password=password,
                    enable_secret=password,
                    host_key_path=keys / f"{branch.name}.key",
                    port=port,
                    outside_ip=branch.cgw_ip,
                    initial_config=text,
                    initial_files=files,
                    oracle=AwsOracle([vpn_ids[branch.name]], endpoint=endpoint),
                    clock=SimClock(rate=1.0),
                )
            except OSError as error:
                if error.errno == errno.EADDRINUSE:
                    raise LabRoutersError(f"port {port} on 127.0.0.1 is in use") from None
                raise
        write_inventory(folder, branches, lab.routers)
        write_known_hosts(lab.known_hosts, lab.routers.values())
        lab.env = {
            "AWS_ENDPOINT_URL": endpoint,
            **LAB_CREDENTIALS,
            PASSWORD_ENV: password,
            "CGW_KNOWN_HOSTS": str(lab.known_hosts),
            "CGW_INVENTORY": str(folder),
            "CGW_STATE_DIR": str(folder / "state"),
        }
    except BaseException:
        lab.stop()
        raise
    return lab


def initial_config(config: DeviceConfig | None) -> tuple[str | None, dict[str, str] | None]:
    """A saved configuration as a simulator takes it: one text, or a host's files."""
    from cgw.model import RUNNING_CONFIG

    if config is None:
        return None, None
    if [f.path for f in config.files] == [RUNNING_CONFIG]:
        return config.text, None
    return None, {f.path: f.content for f in config.files if f.content is not None}
