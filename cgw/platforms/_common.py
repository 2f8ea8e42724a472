"""Pieces every platform's render uses: the per-tunnel view a template sees."""

from __future__ import annotations

from dataclasses import dataclass, field
from ipaddress import IPv4Network
from typing import TypeVar

from cgw.errors import RenderError, ValidationError
from cgw.model import (
    Device,
    IpAddress,
    PlatformOptions,
    RenderedConfig,
    RenderedFile,
    Tunnel,
    VpnConnection,
)
from cgw.render import render_template


@dataclass(frozen=True)
class TunnelView:
    """One tunnel as a template needs it: AWS's facts plus the device's local choices."""

    tunnel: Tunnel
    interface_number: int  # Tunnel<N>, st0.<N>, xfrm/vti index
    object_name: str  # e.g. aws-vpn-0abc1234-t1: every object cgw creates for this tunnel
    local_outside_ip: IpAddress  # the address IKE uses on this device (private one behind NAT)
    local_asn: int | None
    psk: str = field(repr=False)  # clear text for templates only; never in a repr

    @property
    def behind_nat(self) -> bool:
        return self.local_outside_ip != self.tunnel.cgw_outside_ip


Options = TypeVar("Options", bound=PlatformOptions)


def options_of(device: Device, kind: type[Options]) -> Options:
    """The device's platform options as `kind`; defaults where none were given."""
    options = device.local.options
    if isinstance(options, kind):
        return options
    if type(options) is PlatformOptions:
        return kind()
    raise ValidationError(
        f"{device.name}: local options are {type(options).__name__}, not {kind.__name__}"
    )


def object_prefix(vpn: VpnConnection) -> str:
    """The name stem of everything cgw owns for a VPN connection: `aws-vpn-0abc1234`."""
    return f"aws-{vpn.id}"


def tunnel_views(device: Device, vpn: VpnConnection) -> tuple[TunnelView, TunnelView]:
    """Both tunnels of `vpn` combined with `device`'s local settings, in tunnel order."""
    local = device.local
    local_asn = local.local_asn if local.local_asn is not None else vpn.customer_gateway.asn
    if vpn.routing == "bgp" and local_asn is None:
        raise RenderError(f"{device.name}: BGP routing needs local.local_asn")
    views = tuple(
        TunnelView(
            tunnel=t,
            interface_number=local.tunnel_numbers[i],
            object_name=f"{object_prefix(vpn)}-t{t.number}",
            local_outside_ip=local.local_outside_ip or t.cgw_outside_ip,
            local_asn=local_asn,
            psk=t.psk.reveal(),
        )
        for i, t in enumerate(vpn.tunnels)
    )
    return views[0], views[1]


def vpc_routes(device: Device, vpn: VpnConnection) -> tuple[IPv4Network, ...]:
    """Prefixes (the VPC side) the device routes into both tunnels when routing is static.

    AWS's own `Routes` are the customer's prefixes (what AWS sends into the VPN), so the VPC
    prefixes come from the inventory; static routing without them is an error.
    """
    if vpn.routing == "static" and not device.local.static_routes:
        raise RenderError(f"{device.name}: static routing needs local.static_routes (VPC prefixes)")
    return device.local.static_routes


class CliPlatform:
    """A platform configured through its CLI from one template (IOS/IOS-XE, Junos).

    Subclasses name their tunnel interfaces and compute the template context; rendering and
    the interface names as show output prints them are the same for every such platform.
    """

    template = "running-config.j2"
    interface_name = "{}"  # a tunnel interface as the device names it, e.g. "Tunnel{}"
    options: type[PlatformOptions] = PlatformOptions  # no `local:` keys of its own
    version_command: str | None = None  # platforms with release rules name their command

    def parse_release(self, output: str) -> str | None:
        """The release `version_command` printed; None where the platform has no rules."""
        return None

    def __init__(
        self, name: str, netmiko_device_type: str, default_wan_interface: str, template_dir: str
    ) -> None:
        self.name = name
        self.netmiko_device_type = netmiko_device_type
        self.default_wan_interface = default_wan_interface
        self.template_dir = template_dir

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.name!r})"

    def render_context(self, device: Device, vpn: VpnConnection) -> dict[str, object]:
        raise NotImplementedError

    def render(self, device: Device, vpn: VpnConnection) -> RenderedConfig:
        """The configuration lines this device needs for both tunnels of `vpn`."""
        text = render_template(self.template_dir, self.template, **self.render_context(device, vpn))
        return RenderedConfig(
            device=device.name,
            platform=self.name,
            vpn_id=vpn.id,
            files=(RenderedFile(path="running-config", content=text, mode=0o600),),
        )

    def tunnel_interface_names(self, device: Device) -> tuple[str, str]:
        first, second = device.local.tunnel_numbers
        return self.interface_name.format(first), self.interface_name.format(second)
