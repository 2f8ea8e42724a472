"""`cgw init [DIR]`: write a commented starter inventory, one example device per platform."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING

import click

from cgw.commands import Options, pass_options, printer
from cgw.errors import CgwError

if TYPE_CHECKING:
    from cgw.platforms import Platform

INVENTORY_FILES = ("hosts.yaml", "groups.yaml", "defaults.yaml")

DEFAULTS_YAML = """\
# cgw inventory: defaults.yaml. Every device inherits these settings unless one of its groups
# (groups.yaml) or its own entry (hosts.yaml) says otherwise; mappings merge key by key.
#
# Credentials are references only, never a value (cgw refuses a plaintext password or secret).
#   username      the SSH login name itself (a name is not a secret)
#   username_env  or: the environment variable holding the login name
#   password_env  the environment variable holding the SSH password (null: none, use a key)
#   secret_env    the environment variable holding an enable secret, where a platform has one
#   key_file      an SSH private key file (~ is expanded), instead of or besides a password
credentials:
  username_env: CGW_USERNAME
  password_env: CGW_PASSWORD
  # secret_env: CGW_ENABLE_SECRET
  # key_file: ~/.ssh/id_ed25519

# timeout      seconds to wait for the device: the SSH connection and each command
timeout: 30
"""

GROUPS_HEADER = """\
# cgw inventory: groups.yaml. A group holds what a set of devices shares; a host lists its
# groups and the first one listed wins where two set the same key.
#
# One group per platform this cgw knows ({platforms}).
#   platform        the cgw platform that renders, diffs, pushes and verifies the device
#   local:          the device's own choices
#     wan_interface   the interface facing the internet, where IKE and IPsec run
#     tunnel_numbers  the two numbers cgw gives the device's tunnels to AWS (default [1, 2])
"""

HOSTS_HEADER = """\
# cgw inventory: hosts.yaml. One entry per router or firewall; each terminates one AWS
# Site-to-Site VPN connection (two tunnels). Replace the examples with your devices, then run
# `cgw inventory check`. The addresses below are documentation addresses (RFC 5737).
#
#   host            management address or name cgw reaches over SSH
#   port            SSH port (default 22)
#   groups          groups from groups.yaml, in order of precedence
#   release         the software release as the vendor writes it (e.g. 17.12.1a, 21.2R3-S2);
#                   left out, cgw targets current releases offline and asks the device online
#   vpn:            which VPN connection the device terminates, exactly one of:
#     vpn_id               its id (vpn-0123456789abcdef0)
#     customer_gateway_ip  its customer gateway's public IP address
#   local:          the device's own choices (wan_interface, tunnel_numbers: see groups.yaml)
#     advertised_prefixes  on-premises prefixes announced to AWS over BGP (dynamic routing)
#     static_routes        VPC prefixes routed into the tunnels (static routing, no BGP)
#     local_asn            the device's BGP ASN (default: the customer gateway's ASN in AWS)
#     local_outside_ip     the device's private WAN address when it sits behind NAT
"""


def platform_option_lines(platform: Platform) -> str:
    """The platform's own `local:` keys, commented out with their defaults (its options model)."""
    import dataclasses

    defaults = platform.options()
    lines = []
    for field in dataclasses.fields(defaults):
        value = getattr(defaults, field.name)
        lines.append(f"    # {field.name}: {value if value is not None else ''}".rstrip() + "\n")
    if lines:
        lines.insert(0, f"    # {platform.name}'s own settings (defaults shown):\n")
    return "".join(lines)


def starter_inventory(platforms: Mapping[str, Platform]) -> dict[str, str]:
    """File name → text of a starter inventory with one example device per platform."""
    names = sorted(platforms)
    groups = [GROUPS_HEADER.format(platforms=", ".join(names))]
    hosts = [HOSTS_HEADER]
    for number, name in enumerate(names, start=1):
        platform = platforms[name]
        groups.append(
            f"\n{name}:\n"
            f"  platform: {name}\n"
            "  local:\n"
            f"    wan_interface: {platform.default_wan_interface}\n"
            "    tunnel_numbers: [1, 2]\n" + platform_option_lines(platform)
        )
        selector = (
            "    vpn_id: vpn-0123456789abcdef0\n"
            if number == 1
            else f"    customer_gateway_ip: 203.0.113.{10 + number}\n"
        )
        hosts.append(
            f"\nbranch-{number:02d}:  # a {name} device\n"
            f"  host: 192.0.2.{10 + number}\n"
            "  port: 22\n"
            f"  groups: [{name}]\n"
            "  vpn:\n"
            f"{selector}"
            "  local:\n"
            f"    advertised_prefixes: [10.{10 + number}.0.0/16]\n"
            "    # static_routes: [172.31.0.0/16]  # for a VPN with static routing\n"
            "    # local_asn: 65000\n"
        )
    return {
        "hosts.yaml": "".join(hosts),
        "groups.yaml": "".join(groups),
        "defaults.yaml": DEFAULTS_YAML,
    }


def example_inventory() -> dict[str, str]:
    """File name → text of the bundled example inventory (it matches `cgw lab aws`)."""
    from cgw.resources import example_inventory_root

    root = example_inventory_root()
    return {name: (root / name).read_text(encoding="utf-8") for name in INVENTORY_FILES}


def write_new_files(folder: Path, files: Mapping[str, str]) -> list[Path]:
    """Create `folder` if needed and write `files` into it; refuse if any of them exists."""
    if folder.exists() and not folder.is_dir():
        raise CgwError(f"{folder} exists and is not a folder")
    existing = [folder / name for name in files if (folder / name).exists()]
    if existing:
        raise CgwError(
            f"{existing[0]} already exists; cgw init never overwrites a file"
            " (choose another folder or move it away)"
        )
    written: list[Path] = []
    try:
        folder.mkdir(parents=True, exist_ok=True)
        for name, text in files.items():
            path = folder / name
            with path.open("x", encoding="utf-8") as handle:
                written.append(path)
                handle.write(text)
    except OSError as exc:
        for path in written:
            path.unlink(missing_ok=True)
        raise CgwError(f"cannot write the inventory in {folder}: {exc.strerror or exc}") from None
    return written


@click.command("init")
@click.argument("directory", required=False, type=click.Path(path_type=Path))
@click.option(
    "--example", is_flag=True,
    help="Write the example inventory whose devices match `cgw lab aws` instead.",
)  # fmt: skip
@pass_options
def command(options: Options, directory: Path | None, example: bool) -> int:
    """Write a commented starter inventory into DIRECTORY [the inventory, ./inventory].

    hosts.yaml, groups.yaml and defaults.yaml, with one example device per platform; an
    existing file is never overwritten. Edit them, then run `cgw inventory check`.
    """
    from cgw.platforms import all_platforms

    folder = directory if directory is not None else options.inventory
    files = example_inventory() if example else starter_inventory(all_platforms())
    written = write_new_files(folder, files)
    out = printer()
    for path in written:
        out.text(f"wrote {path}")
    inventory = "" if folder == options.inventory else f" -i {folder}"
    out.text(f"next: edit them, then `cgw{inventory} inventory check`")
    return 0
