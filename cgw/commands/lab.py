"""`cgw lab`: the lab AWS on its own, and the real IPsec lab in network namespaces."""

from __future__ import annotations

import os
import signal
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

import click

from cgw.errors import CgwError

if TYPE_CHECKING:
    from cgw.lab.netns_lab import RealLab
    from cgw.model import DeviceConfig


@click.group("lab")
@click.pass_context
def command(ctx: click.Context) -> None:
    """Run the lab: an AWS emulator (moto) seeded like the example inventory."""
    from cgw.extras import require_lab

    require_lab(f"cgw lab {ctx.invoked_subcommand}")


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


@command.command("routers")
@click.option(
    "--inventory-dir",
    type=click.Path(path_type=Path, file_okay=False),
    required=True,
    help="Where to write hosts.yaml, groups.yaml, defaults.yaml and known_hosts.",
)
@click.option(
    "--count",
    type=click.IntRange(min=1),
    default=1,
    show_default=True,
    help="Routers per platform.",
)
@click.option(
    "--platform",
    "platforms",
    multiple=True,
    metavar="PLATFORM",
    help="Only these platforms (repeatable) [every platform a simulator serves].",
)
@click.option(
    "--running-config",
    "running_configs",
    multiple=True,
    metavar="PLATFORM=PATH",
    help="Start that platform's routers with this saved configuration (a file; for a"
    " host, a folder or tar archive of its files). Repeatable.",
)
@click.option(
    "--port-base",
    type=click.IntRange(min=0, max=65535),
    default=0,
    help="Router i listens on PORT+i [any free ports].",
)
def routers(
    inventory_dir: Path,
    count: int,
    platforms: tuple[str, ...],
    running_configs: tuple[str, ...],
    port_base: int,
) -> int:
    """Run simulated routers in the foreground until Ctrl-C, against the lab AWS at
    $AWS_ENDPOINT_URL (start `cgw lab aws` first); writes an inventory for them."""
    from cgw.lab.router_lab import lab_branches, served_platforms, start_router_lab

    endpoint = os.environ.get("AWS_ENDPOINT_URL")
    if not endpoint:
        raise CgwError("AWS_ENDPOINT_URL is not set: start `cgw lab aws` and export what it prints")
    chosen = tuple(dict.fromkeys(platforms)) or served_platforms()
    unknown = [p for p in chosen if p not in served_platforms()]
    if unknown:
        raise CgwError(
            f"no simulated router for platform {unknown[0]!r};"
            f" known: {', '.join(served_platforms())}"
        )
    saved = _saved_configs(running_configs, chosen)
    branches = lab_branches(chosen, count)
    if port_base and port_base + len(branches) - 1 > 65535:
        raise CgwError(f"--port-base {port_base}: {len(branches)} routers do not fit below 65536")
    with _stop_on_signals():
        lab = start_router_lab(
            inventory_dir, endpoint, branches, running_configs=saved, port_base=port_base
        )
        try:
            click.echo(f"{len(lab.routers)} simulated routers on 127.0.0.1, AWS at {endpoint}:")
            for name, router in lab.routers.items():
                click.echo(f"  {name}: port {router.port}")
            click.echo(f"inventory in {inventory_dir}; export these to use it:")
            for key, value in lab.env.items():
                click.echo(f"  export {key}={value}")
            click.echo("then: cgw diff --all; cgw push --all --yes; cgw verify --all")
            click.echo("Ctrl-C stops them.")
            sys.stdout.flush()
            while True:
                time.sleep(3600)
        except KeyboardInterrupt:
            pass
        finally:
            lab.stop()
    return 0


def _saved_configs(values: tuple[str, ...], platforms: tuple[str, ...]) -> dict[str, DeviceConfig]:
    """--running-config PLATFORM=PATH values, each read as the saved configuration it names."""
    from cgw.saved_config import load_saved_config

    saved = {}
    for value in values:
        platform, sep, path = value.partition("=")
        if not sep or not path:
            raise CgwError(f"--running-config {value!r}: expected PLATFORM=PATH")
        if platform not in platforms:
            raise CgwError(f"--running-config {value!r}: no {platform} router is started")
        saved[platform] = load_saved_config(Path(path), platform, platform)
    return saved


@contextmanager
def _stop_on_signals() -> Iterator[None]:
    """Ctrl-C and SIGTERM stop the routers cleanly, even when started in the background."""

    def interrupt(signum: int, frame: object) -> None:
        raise KeyboardInterrupt

    previous = {s: signal.signal(s, interrupt) for s in (signal.SIGINT, signal.SIGTERM)}
    try:
        yield
    finally:
        for number, handler in previous.items():
            signal.signal(number, handler)


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
