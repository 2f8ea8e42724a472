"""diff → push → verify → diff, end to end: the real `cgw` CLI, real SSH to the simulated routers,
real HTTP to the lab AWS; tunnels come up only when what was pushed matches what AWS holds."""

from __future__ import annotations

import os
import re
import stat
import subprocess
import sys
import tarfile
from collections.abc import Iterator
from pathlib import Path

import pytest
from envelope import data_of

from cgw.aws import AwsContext, fetch_vpn_connections
from cgw.lab.routers import Faults
from cgw.lab.sim_lab import SimLab, lab_environment, start_sim_lab


@pytest.fixture(scope="module")
def sim_lab(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SimLab]:
    lab = start_sim_lab(tmp_path_factory.mktemp("sim-lab"))
    try:
        yield lab
    finally:
        lab.stop()


def cgw(lab: SimLab, *args: str) -> subprocess.CompletedProcess[str]:
    """The real entry point in a child process, pointed at the lab like a user's shell would be."""
    return subprocess.run(
        [sys.executable, "-m", "cgw", *args],
        capture_output=True,
        text=True,
        timeout=300,
        env={**os.environ, **lab.env},
        check=False,
    )


def lab_secrets(lab: SimLab) -> list[str]:
    """Every PSK of the seeded VPNs and the routers' login password."""
    with lab_environment(lab):
        vpns = fetch_vpn_connections(AwsContext(), vpn_ids=list(lab.aws.vpn_ids.values()))
    return [t.psk.reveal() for v in vpns for t in v.tunnels] + [lab.env["CGW_LAB_PASSWORD"]]


def assert_no_secret(result: subprocess.CompletedProcess[str], secrets: list[str]) -> None:
    leaked = [s for s in secrets if s in result.stdout or s in result.stderr]
    assert not leaked, f"a secret was printed by cgw {' '.join(result.args[3:])}"


def test_first_diff_shows_pending_changes_masked(sim_lab: SimLab) -> None:
    result = cgw(sim_lab, "diff", "--all")
    assert result.returncode == 2, result.stderr
    assert "<psk:tunnel1>" in result.stdout and "<psk:tunnel2>" in result.stdout
    assert_no_secret(result, lab_secrets(sim_lab))
    as_json = data_of(cgw(sim_lab, "diff", "branch-01", "--json").stdout)
    assert as_json[0]["in_sync"] is False and as_json[0]["commands"]


def test_push_then_verify_up_then_in_sync(sim_lab: SimLab) -> None:
    secrets = lab_secrets(sim_lab)
    pushed = cgw(sim_lab, "push", "--all", "--yes")
    assert pushed.returncode == 0, pushed.stdout + pushed.stderr
    assert_no_secret(pushed, secrets)
    verified = cgw(sim_lab, "verify", "--all", "--json")
    assert verified.returncode == 0, verified.stdout + verified.stderr
    statuses = data_of(verified.stdout)
    assert [s["overall"] for s in statuses] == ["UP"] * len(sim_lab.routers)  # every vendor
    for status in statuses:
        assert [t["up"] for t in status["tunnels"]] == [True, True]
    again = cgw(sim_lab, "diff", "--all")
    assert again.returncode == 0, again.stdout + again.stderr
    second = cgw(sim_lab, "push", "--all", "--yes")
    assert second.returncode == 0 and "nothing to change" in second.stdout
    assert_no_secret(verified, secrets)


def test_backups_are_private_and_hold_the_old_config(sim_lab: SimLab) -> None:
    folder = Path(sim_lab.env["CGW_STATE_DIR"]) / "backups"
    backups = sorted(p for p in folder.rglob("*") if p.is_file())
    # CLI devices: the configuration text; a host: a tar of cgw's files at their paths.
    kinds = {p.parent.name: p.suffix for p in backups}
    assert set(kinds) == set(sim_lab.routers)  # every router was backed up before its change
    assert kinds.pop("branch-03") == ".tar" and set(kinds.values()) == {".cfg"}
    for path in backups:
        assert stat.S_IMODE(path.stat().st_mode) == 0o600
    with tarfile.open(next(p for p in backups if p.suffix == ".tar")) as archive:
        assert all(not name.startswith("/") for name in archive.getnames())


def test_psk_changed_at_aws_shows_that_tunnel_down(sim_lab: SimLab) -> None:
    """The router keeps the old key: tunnel 1 goes DOWN, tunnel 2 stays UP, exit 2."""
    import boto3

    vpn_id = sim_lab.aws.vpn_ids["branch-01"]
    with lab_environment(sim_lab):
        vpn = fetch_vpn_connections(AwsContext(), vpn_ids=[vpn_id])[0]
        ec2 = boto3.client("ec2")
        ec2.modify_vpn_tunnel_options(
            VpnConnectionId=vpn_id,
            VpnTunnelOutsideIpAddress=str(vpn.tunnels[0].aws_outside_ip),
            TunnelOptions={"PreSharedKey": "Rotated.key_for_the_e2e_test"},
        )
    try:
        result = cgw(sim_lab, "verify", "branch-01", "--json")
        assert result.returncode == 2, result.stdout + result.stderr
        status = data_of(result.stdout)[0]
        assert status["overall"] == "DEGRADED"
        assert [t["up"] for t in status["tunnels"]] == [False, True]
        assert "Rotated.key_for_the_e2e_test" not in result.stdout
        pending = cgw(sim_lab, "diff", "branch-01")
        assert pending.returncode == 2 and "<psk:tunnel1>" in pending.stdout
        fixed = cgw(sim_lab, "push", "branch-01", "--yes")
        assert fixed.returncode == 0, fixed.stdout + fixed.stderr
        assert "Rotated.key_for_the_e2e_test" not in fixed.stdout + fixed.stderr
    finally:
        with lab_environment(sim_lab):
            boto3.client("ec2").modify_vpn_tunnel_options(
                VpnConnectionId=vpn_id,
                VpnTunnelOutsideIpAddress=str(vpn.tunnels[0].aws_outside_ip),
                TunnelOptions={"PreSharedKey": vpn.tunnels[0].psk.reveal()},
            )
    assert cgw(sim_lab, "push", "branch-01", "--yes").returncode == 0


def test_changed_host_key_is_refused_and_nothing_is_sent(sim_lab: SimLab) -> None:
    router = sim_lab.routers["branch-02"]
    before = router.running_config()
    router.rotate_host_key()
    try:
        result = cgw(sim_lab, "push", "branch-02", "--yes")
        assert result.returncode == 1
        assert "HOST KEY CHANGED" in result.stderr
        assert "nothing to change" not in result.stdout
        assert "Traceback" not in result.stderr
        assert router.running_config() == before
    finally:
        known = sim_lab.known_hosts.read_text().splitlines()
        port = f"[127.0.0.1]:{router.port} "
        kept = [line for line in known if not line.startswith(port)]
        sim_lab.known_hosts.write_text("\n".join([*kept, router.known_hosts_line()]) + "\n")


def test_session_logs_are_masked_and_private(sim_lab: SimLab, tmp_path: Path) -> None:
    logs = tmp_path / "logs"
    assert cgw(sim_lab, "push", "--all", "--yes").returncode == 0
    result = cgw(sim_lab, "diff", "--all", "--session-log", str(logs))
    assert result.returncode == 0, result.stdout + result.stderr
    secrets = lab_secrets(sim_lab)
    files = sorted(logs.glob("*.log"))
    assert [f.name for f in files] == sorted(f"{name}.log" for name in sim_lab.routers)
    for path in files:
        text = path.read_text()
        assert stat.S_IMODE(path.stat().st_mode) == 0o600
        assert not [s for s in secrets if s in text], f"secret in {path.name}"
    # The IOS running-config read over the session holds both keys: masked, by tunnel.
    ios_log = (logs / "branch-01.log").read_text()
    assert "<psk:tunnel1>" in ios_log and "<psk:tunnel2>" in ios_log


class DropOnce(Faults):
    """Cut the first session that reaches `drop_after_lines`, then behave again (recovery works)."""

    def should_drop(self, lines_received: int) -> bool:
        if super().should_drop(lines_received):
            self.drop_after_lines = None
            return True
        return False


@pytest.mark.parametrize(
    "lines",
    [
        4,
        8,
        11,
        14,
        18,
        # Known defect, found at integration and not yet fixed: a cut at line 25 of an IOS PSK
        # change leaves the keyring's psk-fp description behind the key, so the next diff is
        # not empty. strict: this test fails as soon as the defect is fixed, to remove the mark.
        pytest.param(25, marks=pytest.mark.xfail(strict=True, reason="IOS psk-fp after a cut")),
    ],
)
def test_connection_dropped_mid_push_exits_1_and_leaves_old_or_new(
    sim_lab: SimLab, lines: int
) -> None:
    """A PSK change pending; the session is cut after `lines` lines: one clear line, exit 1,
    and the router holds exactly its old configuration or exactly the new one."""
    import boto3

    router = sim_lab.routers["branch-01"]
    vpn_id = sim_lab.aws.vpn_ids["branch-01"]
    with lab_environment(sim_lab):
        vpn = fetch_vpn_connections(AwsContext(), vpn_ids=[vpn_id])[0]
    outside_ip = str(vpn.tunnels[1].aws_outside_ip)
    keys = [f"Drop{lines}.test_key_a", f"Drop{lines}.test_key_b"]

    def set_psk(psk: str) -> None:
        with lab_environment(sim_lab):
            boto3.client("ec2").modify_vpn_tunnel_options(
                VpnConnectionId=vpn_id, VpnTunnelOutsideIpAddress=outside_ip,
                TunnelOptions={"PreSharedKey": psk},
            )  # fmt: skip

    try:
        set_psk(keys[0])
        assert cgw(sim_lab, "push", "branch-01", "--yes").returncode == 0
        old = router.running_config()
        set_psk(keys[1])
        router.context.faults = DropOnce(drop_after_lines=lines)
        result = cgw(sim_lab, "push", "branch-01", "--yes")
        router.context.faults = Faults()
        after = router.running_config()
        assert not [k for k in keys if k in result.stdout + result.stderr]
        if result.returncode == 0:  # the cut fell after the push had finished
            assert keys[1] in after
        else:
            assert result.returncode == 1, result.stdout + result.stderr
            errors = [line for line in result.stderr.splitlines() if line.startswith("cgw:")]
            assert len(errors) == 1, result.stderr
            assert "Traceback" not in result.stderr
            assert after == old or keys[1] in after
            assert cgw(sim_lab, "push", "branch-01", "--yes").returncode == 0
        assert keys[1] in router.running_config()
        assert cgw(sim_lab, "diff", "branch-01").returncode == 0
    finally:
        router.context.faults = Faults()
        set_psk(vpn.tunnels[1].psk.reveal())
        cgw(sim_lab, "push", "branch-01", "--yes")


PSK_LIKE = re.compile(r"(?<![A-Za-z0-9_.])[A-Za-z0-9_.]{32}(?![A-Za-z0-9_.])")


def test_demo_prints_no_secret() -> None:
    """`cgw demo` makes its own lab: no 32-character key (AWS's PSK shape) in what it prints."""
    result = subprocess.run(
        [sys.executable, "-m", "cgw", "demo"],
        capture_output=True, text=True, timeout=600, check=False,
    )  # fmt: skip
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr
    assert "all steps as expected" in result.stdout
    assert "<psk:tunnel1>" in result.stdout
    suspicious = [t for t in PSK_LIKE.findall(result.stdout + result.stderr) if not t.isdigit()]
    assert not suspicious, suspicious


def test_verify_watch_prints_changes_until_interrupted(sim_lab: SimLab) -> None:
    """`verify --watch`: a table first, then only what changed; Ctrl-C ends it with the last
    round's exit code."""
    import signal
    import threading
    import time

    import boto3

    assert cgw(sim_lab, "push", "branch-02", "--yes").returncode == 0
    vpn_id = sim_lab.aws.vpn_ids["branch-02"]
    with lab_environment(sim_lab):
        vpn = fetch_vpn_connections(AwsContext(), vpn_ids=[vpn_id])[0]
    outside_ip = str(vpn.tunnels[1].aws_outside_ip)
    watcher = subprocess.Popen(
        [sys.executable, "-m", "cgw", "verify", "branch-02", "--watch", "0.5"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        env={**os.environ, **sim_lab.env},
    )  # fmt: skip
    seen: list[str] = []
    reader = threading.Thread(
        target=lambda: seen.extend(iter(watcher.stdout.readline, "")) if watcher.stdout else None,
        daemon=True,
    )
    reader.start()

    def wait_for(text: str, timeout_s: float = 90) -> None:
        # Each round takes as long as the machine needs: wait for what it prints, not a clock.
        deadline = time.monotonic() + timeout_s
        while text not in "".join(seen) and time.monotonic() < deadline:
            time.sleep(0.2)

    try:
        wait_for("UP")  # the first round's table, with both tunnels up
        with lab_environment(sim_lab):
            boto3.client("ec2").modify_vpn_tunnel_options(
                VpnConnectionId=vpn_id, VpnTunnelOutsideIpAddress=outside_ip,
                TunnelOptions={"PreSharedKey": "Watch.rotated_key_2"},
            )  # fmt: skip
        wait_for("UP → DEGRADED")
        watcher.send_signal(signal.SIGINT)
        _, stderr = watcher.communicate(timeout=60)
        reader.join(timeout=10)
        stdout = "".join(seen)
    finally:
        if watcher.poll() is None:
            watcher.kill()
        with lab_environment(sim_lab):
            boto3.client("ec2").modify_vpn_tunnel_options(
                VpnConnectionId=vpn_id, VpnTunnelOutsideIpAddress=outside_ip,
                TunnelOptions={"PreSharedKey": vpn.tunnels[1].psk.reveal()},
            )  # fmt: skip
    assert "UP" in stdout  # the first round's table
    assert "branch-02 tunnel 2: up → down" in stdout, stdout + stderr
    assert "branch-02: UP → DEGRADED" in stdout
    assert watcher.returncode == 2
    assert "Watch.rotated_key_2" not in stdout + stderr
