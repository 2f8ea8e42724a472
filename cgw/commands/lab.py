"""`cgw lab`: the lab AWS on its own, and the real IPsec lab in network namespaces."""

from __future__ import annotations

import time
from pathlib import Path
from typing import TYPE_CHECKING

import click

from cgw.errors import CgwError

if TYPE_CHECKING:
    from cgw.lab.netns_lab import RealLab


@click.group("lab")
def command() -> None:
    """Run the lab: an AWS emulator (moto) seeded like the example inventory."""


PORT = click.IntRange(1, 65535)


def check_port_free(port: int, host: str = "127.0.0.1") -> None:
    """Refuse, in one line, a port another program already listens on (the server would hang)."""
    import socket

    with socket.socket() as probe:
        try:
            probe.bind((host, port))
        except OSError as exc:
            raise CgwError(
                f"--port {port}: {host}:{port} is not free ({exc.strerror}); pick another port"
            ) from None


@command.command("aws")
@click.option("--port", type=PORT, default=5000, show_default=True, help="Port on 127.0.0.1.")
def aws(port: int) -> int:
    """Run the lab AWS in the foreground until Ctrl-C; prints the endpoint to use."""
    from cgw.lab.aws_server import serve_forever

    check_port_free(port)
    serve_forever(port)
    return 0


DEFAULT_REAL_LAB_STATE = Path("/run/cgw-lab/real-lab.json")
REAL_LAB_BRANCH = "branch-03"


@command.group("real")
def real() -> None:
    """A real IPsec lab in network namespaces: strongSwan + FRR as AWS, a bare strongSwan branch.

    Needs root and Linux network namespaces (strongswan-charon, strongswan-swanctl,
    libcharon-extra-plugins, openssh-server, frr installed). Addresses live only inside the
    namespaces; the branch's sshd is reached over a 198.18.0.0/30 management link.
    """


@real.command("up")
@click.option(
    "--state",
    type=click.Path(path_type=Path, dir_okay=False),
    default=DEFAULT_REAL_LAB_STATE,
    show_default=True,
    help="Where the lab records its namespaces and daemons (for `down`).",
)
@click.option("--port", type=PORT, default=5000, show_default=True, help="Lab AWS port.")
def real_up(state: Path, port: int) -> int:
    """Start the lab AWS and the namespace lab for branch-03; run until Ctrl-C, then tear down.

    Prints an inventory for the bare branch, so in another shell `cgw diff`, `cgw push` and
    `cgw verify` provision it exactly as they would a real router.
    """
    from cgw.lab.aws_server import run_lab_aws
    from cgw.lab.netns import missing_requirements
    from cgw.lab.netns_lab import real_lab_up, teardown

    missing = missing_requirements()
    if missing:
        raise CgwError(f"the real lab cannot run here: {missing}")
    check_port_free(port)
    aws = run_lab_aws(port=port)
    try:
        lab = real_lab_up(aws.vpn_ids[REAL_LAB_BRANCH], state)
        try:
            folder = state.parent
            inventory, known_hosts = _write_real_lab_inventory(lab, folder)
            click.echo(f"real lab up in {lab.timings.get('up_s', 0):.2f} s; state in {state}")
            click.echo(f"lab AWS at {aws.endpoint}; inventory in {inventory}")
            for key, value in {**aws.env, "CGW_KNOWN_HOSTS": str(known_hosts)}.items():
                click.echo(f"  export {key}={value}")
            click.echo(f"then: cgw -i {inventory} diff {REAL_LAB_BRANCH}; cgw push ...; cgw verify")
            click.echo("Ctrl-C tears the lab down.")
            while True:
                time.sleep(3600)
        except KeyboardInterrupt:
            pass
        finally:
            problems = teardown(lab)
            for problem in problems:
                click.echo(f"teardown: {problem}", err=True)
    finally:
        aws.stop()
    return 0


@real.command("down")
@click.option(
    "--state",
    type=click.Path(path_type=Path, dir_okay=False),
    default=DEFAULT_REAL_LAB_STATE,
    show_default=True,
    help="The state file `up` wrote.",
)
def real_down(state: Path) -> int:
    """Tear down a lab left behind (stops daemons by recorded PID, removes its namespaces)."""
    from cgw.lab.netns_lab import real_lab_down

    if not state.exists():
        raise CgwError(f"no lab state at {state}: nothing to tear down")
    problems = real_lab_down(state)
    for problem in problems:
        click.echo(f"teardown: {problem}", err=True)
    return 1 if problems else 0


def _write_real_lab_inventory(lab: RealLab, folder: Path) -> tuple[Path, Path]:
    """An inventory (and pinned known_hosts) describing the lab's bare branch."""
    if lab.ssh is None:
        raise CgwError("the real lab has no SSH access to its branch")
    inventory = folder / "inventory"
    inventory.mkdir(parents=True, exist_ok=True)
    (inventory / "hosts.yaml").write_text(
        f"{REAL_LAB_BRANCH}:\n"
        f"  host: {lab.ssh.host}\n"
        f"  port: {lab.ssh.port}\n"
        "  platform: strongswan\n"
        f"  credentials: {{username: {lab.ssh.user}, key_file: {lab.ssh.key_file}}}\n"
        "  vpn: {customer_gateway_ip: 203.0.113.13}\n"
        "  local: {wan_interface: eth0, tunnel_numbers: [1, 2],"
        " advertised_prefixes: [10.13.0.0/16], strongswan_dataplane: libipsec,"
        " strongswan_bgp: frr}\n"
    )
    known_hosts = folder / "known_hosts"
    known_hosts.write_text(lab.ssh.known_hosts_line + "\n")
    known_hosts.chmod(0o600)
    return inventory, known_hosts
