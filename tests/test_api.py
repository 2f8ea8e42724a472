"""cgw.api against the simulated lab (real SSH, the lab AWS over HTTP), and README's Nornir
example run as written."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

import cgw.api
from cgw.lab.sim_lab import SimLab, lab_environment, start_sim_lab

README = Path(__file__).parent.parent / "README.md"


@pytest.fixture(scope="module")
def lab(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SimLab]:
    started = start_sim_lab(tmp_path_factory.mktemp("api-lab"))
    try:
        with lab_environment(started):
            yield started
    finally:
        started.stop()


def test_fetch_plan_push_verify_through_the_api(lab: SimLab, tmp_path: Path) -> None:
    devices = cgw.api.load_devices(lab.inventory)
    ssh = cgw.api.ssh_options(lab.known_hosts)
    for name, device in devices.items():
        vpn = cgw.api.fetch(device)
        first = cgw.api.plan(device, vpn, ssh=ssh)
        assert not first.in_sync, name
        pushed = cgw.api.push(device, vpn, ssh=ssh, expected=first, backup_dir=tmp_path)
        assert pushed.outcome == "applied", (name, pushed.message)
        status = cgw.api.verify(device, vpn, ssh=ssh)
        assert status.overall == "UP", (name, [t.reason for t in status.tunnels])
        assert cgw.api.plan(device, vpn, ssh=ssh).in_sync, name


def test_plan_against_a_saved_config_needs_no_ssh(lab: SimLab) -> None:
    device = cgw.api.load_devices(lab.inventory)["branch-01"]
    vpn = cgw.api.fetch(device)
    rendered = cgw.api.render(device, vpn).files[0].content
    assert cgw.api.plan(device, vpn, running=rendered).in_sync
    assert not cgw.api.plan(device, vpn, running="hostname branch-01\n").in_sync


def test_a_device_built_in_code_is_validated_like_an_inventory_entry() -> None:
    with pytest.raises(cgw.api.CgwError, match=r"tunnel_numbers|tunnel number"):
        cgw.api.device("r1", "127.0.0.1", "cisco_xe", vpn_id="vpn-0a1b2c3d", tunnel_numbers=(1, 1))
    with pytest.raises(cgw.api.CgwError, match="no_such_option"):
        cgw.api.device("r1", "127.0.0.1", "cisco_xe", vpn_id="vpn-0a1b2c3d", no_such_option=1)


def readme_nornir_example() -> str:
    text = README.read_text(encoding="utf-8")
    block = re.search(r"<!-- nornir-example -->\s*```python\n(.*?)```", text, re.S)
    assert block, "README has no Nornir example block"
    return block.group(1)


def test_readme_nornir_example_provisions_the_lab(lab: SimLab, tmp_path: Path) -> None:
    pytest.importorskip("nornir")
    devices = cgw.api.load_devices(lab.inventory)
    hosts = []
    for name, device in devices.items():
        local = device.local
        hosts.append(
            f"{name}:\n  hostname: {device.host}\n  port: {device.port}\n"
            f"  platform: {device.platform}\n  username: {device.credentials.username}\n"
            "  data:\n    cgw:\n"
            f"      customer_gateway_ip: {device.vpn.customer_gateway_ip}\n"
            f"      wan_interface: {local.wan_interface}\n"
            f"      tunnel_numbers: [{local.tunnel_numbers[0]}, {local.tunnel_numbers[1]}]\n"
            f"      advertised_prefixes: [{', '.join(map(str, local.advertised_prefixes))}]\n"
        )
    (tmp_path / "hosts.yaml").write_text("".join(hosts))
    (tmp_path / "nornir.yaml").write_text(
        "inventory:\n  plugin: SimpleInventory\n  options:\n    host_file: hosts.yaml\n"
        "runner:\n  plugin: threaded\n  options:\n    num_workers: 3\n"
        "logging:\n  enabled: false\n"
    )
    env = {**os.environ, **lab.env, "ROUTER_PASSWORD": lab.env["CGW_LAB_PASSWORD"]}
    env["CGW_STATE_DIR"] = str(tmp_path / "state")
    script = readme_nornir_example() + "\nassert not results.failed, results\n"
    done = subprocess.run(
        [sys.executable, "-c", script], cwd=tmp_path, env=env, capture_output=True, text=True,
        timeout=300, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stdout + done.stderr
    finished = re.findall(r"^(branch-\d+): (?:applied|no change needed)", done.stdout, re.M)
    assert sorted(finished) == sorted(devices)  # every lab router
