"""`cgw lab routers` as a user runs it: two processes, the variables they print, cgw by hand."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml

from cgw.lab.router_lab import served_platforms

CGW = [sys.executable, "-m", "cgw"]


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def wait_for_line(process: subprocess.Popen[str], text: str, timeout_s: float = 60) -> list[str]:
    """The process's stdout lines up to the first containing `text`."""
    assert process.stdout is not None
    lines: list[str] = []
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        line = process.stdout.readline()
        if not line:
            break
        lines.append(line.rstrip("\n"))
        if text in line:
            return lines
    raise AssertionError(f"{text!r} never printed; got {lines}, exit {process.poll()}")


def exports(lines: list[str]) -> dict[str, str]:
    """The `export KEY=VALUE` lines a command printed, as a user would paste them."""
    found = {}
    for line in lines:
        if line.strip().startswith("export "):
            key, _, value = line.strip().removeprefix("export ").partition("=")
            found[key] = value
    return found


def start(args: list[str], env: dict[str, str]) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [*CGW, *args], env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )


def interrupt(process: subprocess.Popen[str]) -> int:
    """Ctrl-C, then the exit code."""
    process.send_signal(signal.SIGINT)
    try:
        return process.wait(timeout=30)
    except subprocess.TimeoutExpired:
        process.kill()
        raise


@pytest.fixture
def user_env(tmp_path: Path) -> dict[str, str]:
    """A clean environment: no AWS or cgw variables from the caller, a private HOME."""
    env = {
        k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "CGW_")) and k != "HOME"
    }
    env["HOME"] = str(tmp_path / "home")
    return env


@pytest.fixture
def lab_aws_process(user_env: dict[str, str]) -> Iterator[dict[str, str]]:
    """`cgw lab aws --port X` in its own process; yields the variables it prints."""
    process = start(["lab", "aws", "--port", str(free_port())], user_env)
    try:
        yield exports(wait_for_line(process, "Ctrl-C"))
    finally:
        interrupt(process)


def test_lab_routers_then_diff_push_verify_diff_by_hand(
    tmp_path: Path, user_env: dict[str, str], lab_aws_process: dict[str, str]
) -> None:
    inventory = tmp_path / "lab"
    env = {**user_env, **lab_aws_process}
    routers = start(["lab", "routers", "--inventory-dir", str(inventory)], env)
    try:
        printed = exports(wait_for_line(routers, "Ctrl-C"))
        assert {"CGW_KNOWN_HOSTS", "CGW_LAB_PASSWORD", "AWS_ENDPOINT_URL"} <= printed.keys()
        assert sorted(p.name for p in inventory.iterdir() if p.is_file()) == [
            "defaults.yaml",
            "groups.yaml",
            "hosts.yaml",
            "known_hosts",
        ]
        assert oct(Path(printed["CGW_KNOWN_HOSTS"]).stat().st_mode & 0o777) == "0o600"
        hosts = yaml.safe_load((inventory / "hosts.yaml").read_text())
        # One router per platform a simulator serves.
        assert sorted(h["platform"] for h in hosts.values()) == list(served_platforms())
        shell = {**env, **printed}
        steps = [
            (["diff", "--all"], 2),
            (["push", "--all", "--yes"], 0),
            (["verify", "--all"], 0),
            (["diff", "--all"], 0),
        ]
        for args, expected in steps:
            done = subprocess.run(
                [*CGW, "-i", str(inventory), *args],
                env=shell,
                capture_output=True,
                text=True,
                timeout=300,
            )
            assert done.returncode == expected, (args, done.stdout[-3000:], done.stderr[-3000:])
            # The lab password is a credential: it never appears in cgw's output.
            assert printed["CGW_LAB_PASSWORD"] not in done.stdout + done.stderr
    finally:
        code = interrupt(routers)
    assert code == 0, routers.stderr.read() if routers.stderr else ""


def test_port_in_use_is_one_line_and_exit_1(
    tmp_path: Path, user_env: dict[str, str], lab_aws_process: dict[str, str]
) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen(1)
        port = taken.getsockname()[1]
        done = subprocess.run(
            [*CGW, "lab", "routers", "--inventory-dir", str(tmp_path / "lab"),
             "--platform", "cisco_xe", "--port-base", str(port)],
            env={**user_env, **lab_aws_process}, capture_output=True, text=True, timeout=120,
        )  # fmt: skip
    assert done.returncode == 1
    assert done.stderr.strip().splitlines() == [f"cgw: error: port {port} on 127.0.0.1 is in use"]
    assert not (tmp_path / "lab" / "hosts.yaml").exists()


def test_seeded_running_config_and_count(
    tmp_path: Path, user_env: dict[str, str], lab_aws_process: dict[str, str]
) -> None:
    saved = tmp_path / "saved.txt"
    saved.write_text(
        "set system host-name edge-7\n"
        "set interfaces ge-0/0/0 unit 0 family inet address 203.0.113.100/24\n"
        "set snmp community lab-only authorization read-only\n"
    )
    inventory = tmp_path / "lab"
    routers = start(
        ["lab", "routers", "--inventory-dir", str(inventory), "--platform", "juniper_junos",
         "--count", "2", "--running-config", f"juniper_junos={saved}"],
        {**user_env, **lab_aws_process},
    )  # fmt: skip
    try:
        printed = exports(wait_for_line(routers, "Ctrl-C"))
        hosts = yaml.safe_load((inventory / "hosts.yaml").read_text())
        assert sorted(hosts) == ["juniper-junos-01", "juniper-junos-02"]
        from netmiko import ConnectHandler

        for host in hosts.values():
            connection = ConnectHandler(
                device_type="juniper_junos",
                host="127.0.0.1",
                port=host["port"],
                username=host["credentials"]["username"],
                password=printed["CGW_LAB_PASSWORD"],
                allow_agent=False,
                use_keys=False,
            )
            try:
                shown = str(connection.send_command("show configuration | display set"))
            finally:
                connection.disconnect()
            assert "set snmp community lab-only authorization read-only" in shown
            assert "set system host-name edge-7" in shown
    finally:
        assert interrupt(routers) == 0


def test_without_a_lab_aws_endpoint(tmp_path: Path, user_env: dict[str, str]) -> None:
    done = subprocess.run(
        [*CGW, "lab", "routers", "--inventory-dir", str(tmp_path / "lab")],
        env=user_env, capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert done.returncode == 1
    assert done.stderr.strip().splitlines() == [
        "cgw: error: AWS_ENDPOINT_URL is not set: start `cgw lab aws` and export what it prints"
    ]


def test_refuses_to_overwrite_an_inventory_it_did_not_write(
    tmp_path: Path, user_env: dict[str, str], lab_aws_process: dict[str, str]
) -> None:
    inventory = tmp_path / "inventory"
    inventory.mkdir()
    (inventory / "hosts.yaml").write_text("core-01: {host: 10.0.0.1, platform: cisco_xe}\n")
    done = subprocess.run(
        [*CGW, "lab", "routers", "--inventory-dir", str(inventory)],
        env={**user_env, **lab_aws_process}, capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert done.returncode == 1
    assert "was not written by cgw's lab" in done.stderr
    assert (inventory / "hosts.yaml").read_text().startswith("core-01")


def test_refuses_an_endpoint_that_is_not_a_local_lab(
    tmp_path: Path, user_env: dict[str, str]
) -> None:
    done = subprocess.run(
        [*CGW, "lab", "routers", "--inventory-dir", str(tmp_path / "lab")],
        env={**user_env, "AWS_ENDPOINT_URL": "https://ec2.us-east-1.amazonaws.com"},
        capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert done.returncode == 1
    assert done.stderr.strip().splitlines() == [
        "cgw: error: AWS_ENDPOINT_URL=https://ec2.us-east-1.amazonaws.com is not a lab AWS on"
        " 127.0.0.1 (start `cgw lab aws`)"
    ]
    assert not (tmp_path / "lab").exists()
