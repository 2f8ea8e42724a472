"""No pre-shared key leaves cgw, in any encoding, through any channel.

Every command a user runs (fetch, render, diff, push, verify, inventory check) runs for every
platform of the lab (IOS-XE, Junos, strongSwan) as a child process with `-vvv` and session
logs, first against bare routers and again after AWS changed each VPN's tunnel 1 key (so the
routers hold a key cgw is no longer told about). stdout, stderr (the -vvv log), --json and the
session logs are searched for every key — old and new — in clear, base64 at each alignment,
hex, Cisco type 7, Junos `$9$` (decoded), and with all whitespace removed (a key split over
lines or chunks). Backups may hold keys, but only with mode 0600.
"""

from __future__ import annotations

import os
import re
import stat
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import boto3
import pytest

from cgw.aws import AwsContext, fetch_vpn_connections
from cgw.encodings import NINE_TOKEN, base64_forms, hex_forms, nine_decode, type7_forms
from cgw.lab.sim_lab import SimLab, lab_environment, start_sim_lab

DEVICES = ("branch-01", "branch-02", "branch-03")
ROTATED = {
    "branch-01": "Rotated.key_of_branch_01",
    "branch-02": "Rotated.key_of_branch_02",
    "branch-03": "Rotated.key_of_branch_03",
}


@pytest.fixture(scope="module")
def lab(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SimLab]:
    lab = start_sim_lab(tmp_path_factory.mktemp("leaks"))
    try:
        yield lab
    finally:
        lab.stop()


def lab_keys(lab: SimLab) -> list[str]:
    with lab_environment(lab):
        vpns = fetch_vpn_connections(AwsContext(), vpn_ids=list(lab.aws.vpn_ids.values()))
    return [t.psk.reveal() for v in vpns for t in v.tunnels]


def encodings(secret: str) -> dict[str, str]:
    """Every text form of `secret` the test looks for, by name."""
    forms = {"clear": secret}
    forms.update({f"base64[{i}]": form for i, form in enumerate(base64_forms(secret))})
    forms.update({f"hex[{i}]": form for i, form in enumerate(hex_forms(secret))})
    forms.update({f"type7[{i}]": form for i, form in enumerate(type7_forms(secret))})
    return forms


def leaks(text: str, secrets: list[str]) -> list[str]:
    """Which secret, in which encoding, `text` holds (nothing: no leak)."""
    found = []
    squashed = re.sub(r"\s+", "", text)
    for secret in secrets:
        for name, form in encodings(secret).items():
            if form in text:
                found.append(f"{secret[:4]}… as {name}")
            elif form in squashed:
                found.append(f"{secret[:4]}… as {name} split over lines")
    for token in NINE_TOKEN.findall(text):
        decoded = nine_decode(token)
        if decoded in secrets:
            found.append(f"{decoded[:4]}… as $9$")
    return found


def run(lab: SimLab, *args: str, logs: Path | None = None) -> list[tuple[str, str]]:
    """The real cgw with -vvv; every output channel it wrote, as (name, text)."""
    session = ("--session-log", str(logs)) if logs is not None else ()
    result = subprocess.run(
        [sys.executable, "-m", "cgw", "-vvv", *args, *session],
        capture_output=True, text=True, timeout=300, env={**os.environ, **lab.env}, check=False,
    )  # fmt: skip
    assert result.returncode in (0, 2), f"cgw {' '.join(args)}: {result.stderr[-2000:]}"
    shown = " ".join(args)
    channels = [(f"{shown} stdout", result.stdout), (f"{shown} -vvv", result.stderr)]
    if logs is not None:
        channels += [(f"session log {p.name}", p.read_text()) for p in sorted(logs.glob("*.log"))]
    return channels


def every_command(lab: SimLab, logs: Path) -> list[tuple[str, str]]:
    fetch = [a for d in DEVICES for a in ("--device", d)]
    channels = []
    channels += run(lab, "inventory", "check")
    channels += run(lab, "inventory", "check", "--json")
    channels += run(lab, "fetch", *fetch)
    channels += run(lab, "fetch", *fetch, "--json")
    channels += run(lab, "render", "--all")
    channels += run(lab, "render", "--all", "--json")
    channels += run(lab, "diff", "--all", logs=logs / "diff")
    channels += run(lab, "diff", "--all", "--json", logs=logs / "diff-json")
    channels += run(lab, "push", "--all", "--yes", "--json", logs=logs / "push")
    channels += run(lab, "verify", "--all", logs=logs / "verify")
    channels += run(lab, "verify", "--all", "--json", logs=logs / "verify-json")
    channels += run(lab, "diff", "--all", logs=logs / "diff-again")
    return channels


def rotate_tunnel1_keys(lab: SimLab) -> None:
    """AWS gets a new tunnel 1 key for every VPN; the routers still hold the old one."""
    with lab_environment(lab):
        ec2 = boto3.client("ec2")
        for device, key in ROTATED.items():
            vpn_id = lab.aws.vpn_ids[device]
            vpn = fetch_vpn_connections(AwsContext(), vpn_ids=[vpn_id])[0]
            ec2.modify_vpn_tunnel_options(
                VpnConnectionId=vpn_id,
                VpnTunnelOutsideIpAddress=str(vpn.tunnels[0].aws_outside_ip),
                TunnelOptions={"PreSharedKey": key},
            )


def test_leak_search_finds_what_it_must() -> None:
    """The search itself: each encoding of a key is found, split or not."""
    import base64

    from cgw.platforms.juniper_junos.secret9 import encode_nine

    key = "Some.key_value_12345"
    stream = base64.b64encode(b"x" + key.encode() + b"y").decode()
    assert leaks(f"{stream[:9]}\n{stream[9:]}", [key])
    assert leaks(encode_nine(key), [key])
    assert leaks(type7_forms(key)[5], [key])
    assert leaks(key.encode().hex(), [key])
    assert not leaks("pre-shared-key <psk:tunnel1>", [key])


def test_no_key_in_any_output_first_push_then_after_a_key_change_at_aws(
    lab: SimLab, tmp_path: Path
) -> None:
    first_keys = lab_keys(lab)
    secrets = [*first_keys, lab.env["CGW_LAB_PASSWORD"]]
    channels = every_command(lab, tmp_path / "first")
    rotate_tunnel1_keys(lab)
    secrets += [*ROTATED.values(), *lab_keys(lab)]
    after = run(lab, "diff", "--all", logs=tmp_path / "rotated-diff")
    assert any("changed>" in text for name, text in after if "stdout" in name), (
        "a changed key must show as changed"
    )
    channels += after
    channels += every_command(lab, tmp_path / "rotated")
    found = {name: hits for name, text in channels if (hits := leaks(text, sorted(set(secrets))))}
    assert not found, f"secrets leaked: {found}"
    assert len(channels) > 60


def test_backups_hold_keys_only_privately(lab: SimLab) -> None:
    backups = [p for p in (Path(lab.env["CGW_STATE_DIR"]) / "backups").rglob("*") if p.is_file()]
    assert backups
    for path in backups:
        assert stat.S_IMODE(path.stat().st_mode) == 0o600, path


def test_demo_prints_no_key(
    capfd: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """`cgw demo` runs every step in-process against a lab of its own: its keys are read as the
    lab starts, and nothing the demo printed (stdout, stderr, -vvv) may hold one."""
    import cgw.lab.sim_lab as sim_lab
    from cgw.cli import main

    started = sim_lab.start_sim_lab
    secrets: list[str] = []

    def recording(folder: Path, **kwargs: object) -> SimLab:
        lab = started(folder, **kwargs)  # type: ignore[arg-type]
        secrets.extend([*lab_keys(lab), lab.env["CGW_LAB_PASSWORD"]])
        return lab

    monkeypatch.setattr(sim_lab, "start_sim_lab", recording)
    code = main(["-vvv", "demo"])
    out, err = capfd.readouterr()
    assert code == 0, out[-3000:] + err[-3000:]
    assert len(secrets) == 7
    assert not leaks(out, secrets) and not leaks(err, secrets)
