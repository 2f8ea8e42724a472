"""A vendor added from outside: a toy platform in its own installed distribution, found through
the `cgw.platforms` entry point group, renders, plans and parses with no file of cgw changed.

The toy OS (constructed for this test, no real vendor) speaks `set`/`delete` lines and prints
`show toy tunnels` as `peer state` rows.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from render_cases import VPC_CIDR, branch_04, device

from cgw.errors import InventoryError
from cgw.inventory import load_inventory
from cgw.model import DeviceConfig
from cgw.platforms import ENTRY_POINT_GROUP, all_platforms, get_platform
from cgw.verify import device_status
from cgw.workflow import render_config

TOY_PACKAGE = '''
"""A toy OS for cgw's plug-in test."""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from cgw.model import (
    BgpNeighbor, Device, DeviceConfig, IkeSa, IpsecSa, ParsedStatus, PlatformOptions,
    RenderedConfig, RenderedFile, VpnConnection, check_name,
)
from cgw.parsing import CommandParsers
from cgw.platforms.base import Plan
from cgw.render import render_template

HERE = Path(__file__).parent
SHOW = "show toy tunnels"


@dataclass(frozen=True)
class ToyOptions(PlatformOptions):
    toy_zone: str = "lan"

    def __post_init__(self) -> None:
        check_name(self.toy_zone, "local.toy_zone")


class ToyDeployer:
    def read_running(self, session):
        return DeviceConfig.cli(session.device.name, session.device.platform,
                                session.send_command("show config"))

    def owned(self, running, device, vpn):
        lines = [l for l in running.text.splitlines() if f"aws-{vpn.id}" in l]
        return DeviceConfig.cli(device.name, device.platform, "".join(l + "\\n" for l in lines))

    def plan(self, owned, intended, device, vpn):
        have = owned.text.splitlines()
        want = intended.files[0].content.splitlines()
        remove = tuple(l for l in have if l not in want)
        add = tuple(l for l in want if l not in have)
        commands = tuple("delete " + l.removeprefix("set ") for l in remove) + add
        return Plan(device.name, device.platform, vpn.id, owned.text,
                    intended.files[0].content, commands, remove, add)

    def transaction(self, session, plan, backup):
        raise NotImplementedError("the toy OS is never pushed to")

    def recover(self, session, device, backup):
        return "nothing to recover"


class ToyPlatform:
    name = "toy_os"
    netmiko_device_type = "generic"
    template_dir = str(HERE / "templates")
    default_wan_interface = "wan0"
    options = ToyOptions
    verify_commands = (SHOW,)
    parsers = CommandParsers("toy_os", "cgw_toy", {SHOW: ("cgw", "toy_show_tunnels.textfsm")})
    version_command = None
    deployer = ToyDeployer()

    def render(self, device, vpn):
        options = device.local.options
        zone = options.toy_zone if isinstance(options, ToyOptions) else "lan"
        text = render_template(self.template_dir, "config.j2", vpn=vpn, zone=zone)
        return RenderedConfig(device.name, self.name, vpn.id,
                              (RenderedFile("running-config", text),))

    def parse_status(self, outputs):
        if SHOW not in outputs:
            return ParsedStatus()
        rows = self.parsers.parse(SHOW, outputs[SHOW])
        ike = tuple(IkeSa(r["peer"], "", r["state"], r["state"] == "up") for r in rows)
        ipsec = tuple(IpsecSa(r["peer"], r["state"], r["state"] == "up") for r in rows)
        return ParsedStatus(ike_sas=ike, ipsec_sas=ipsec, bgp=())

    def parse_release(self, output):
        return None

    def tunnel_interface_names(self, device):
        return None


PLATFORM = ToyPlatform()
'''
TOY_TEMPLATE = """\
{% for t in vpn.tunnels %}
set tunnel aws-{{ vpn.id }}-t{{ t.number }} peer {{ t.aws_outside_ip }} zone {{ zone }}
{% endfor %}
"""
TOY_TEXTFSM = """\
Value PEER (\\S+)
Value STATE (up|down)

Start
  ^${PEER}\\s+${STATE}\\s*$$ -> Record
"""


@pytest.fixture
def toy_installed(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """The toy OS as a separately installed distribution (package + dist-info) on sys.path."""
    package = tmp_path / "cgw_toy"
    (package / "templates").mkdir(parents=True)
    (package / "textfsm").mkdir()
    (package / "__init__.py").write_text(TOY_PACKAGE)
    (package / "templates" / "config.j2").write_text(TOY_TEMPLATE)
    (package / "textfsm" / "toy_show_tunnels.textfsm").write_text(TOY_TEXTFSM)
    dist = tmp_path / "cgw_toy-0.1.dist-info"
    dist.mkdir()
    (dist / "METADATA").write_text("Metadata-Version: 2.1\nName: cgw-toy\nVersion: 0.1\n")
    (dist / "entry_points.txt").write_text(f"[{ENTRY_POINT_GROUP}]\ntoy_os = cgw_toy:PLATFORM\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    all_platforms.cache_clear()
    yield tmp_path
    all_platforms.cache_clear()
    sys.modules.pop("cgw_toy", None)


def test_the_toy_platform_is_found_through_its_entry_point(toy_installed: Path) -> None:
    assert "toy_os" in all_platforms()
    assert get_platform("toy_os").default_wan_interface == "wan0"


def test_inventory_validates_local_settings_with_the_toys_own_model(toy_installed: Path) -> None:
    folder = toy_installed / "inventory"
    folder.mkdir()
    host = "toy-1:\n  host: 127.0.0.1\n  platform: toy_os\n  vpn: {vpn_id: vpn-0a1b2c3d4e5f60014}\n"
    (folder / "hosts.yaml").write_text(host + "  local: {wan_interface: wan0, toy_zone: dmz}\n")
    local = load_inventory(folder).devices["toy-1"].local
    assert local.options.toy_zone == "dmz"  # type: ignore[attr-defined]
    (folder / "hosts.yaml").write_text(host + "  local: {wan_interface: wan0, trust_zone: x}\n")
    with pytest.raises(InventoryError, match="trust_zone"):
        load_inventory(folder)


def test_the_toy_renders_plans_and_parses(toy_installed: Path) -> None:
    vpn = branch_04()  # static routing: the SAs decide
    toy = device("toy-1", "toy_os", "203.0.113.14", static_routes=(VPC_CIDR,))
    rendered = render_config(toy, vpn)
    assert f"peer {vpn.tunnels[0].aws_outside_ip} zone lan" in rendered.text
    deployer = get_platform("toy_os").deployer
    empty = DeviceConfig.cli("toy-1", "toy_os", "set system name toy-1\n")
    first = deployer.plan(deployer.owned(empty, toy, vpn), rendered, toy, vpn)
    assert len(first.add) == 2 and not first.remove
    held = DeviceConfig.cli("toy-1", "toy_os", "set system name toy-1\n" + rendered.text)
    assert deployer.plan(deployer.owned(held, toy, vpn), rendered, toy, vpn).in_sync
    t1, t2 = (t.aws_outside_ip for t in vpn.tunnels)
    status = device_status(
        get_platform("toy_os"), {"show toy tunnels": f"{t1} up\n{t2} down\n"}, vpn, device_name="t"
    )
    assert [t.up for t in status.tunnels] == [True, False]
    assert status.overall == "DEGRADED"


def test_the_command_line_verifies_offline_with_the_toy(toy_installed: Path) -> None:
    captures = toy_installed / "captures"
    captures.mkdir()
    (captures / "show_toy_tunnels.txt").write_text("198.51.100.1 up\n198.51.100.2 up\n")
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(toy_installed), *sys.path])}
    done = subprocess.run(
        [sys.executable, "-m", "cgw", "verify", "--platform", "toy_os", "--from-dir",
         str(captures), "--json"],
        capture_output=True, text=True, env=env, check=False, timeout=60,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    peers = [sa["peer"] for sa in json.loads(done.stdout)["ike_sas"]]
    assert peers == ["198.51.100.1", "198.51.100.2"]
