"""The embedded default: the lab AWS plus three simulated branch routers and an inventory for them.

`start_sim_lab(folder)` is what `cgw demo` and the end-to-end tests stand on: everything listens on
127.0.0.1 only, credentials are random and handed over in environment variables, the routers' host
keys are pinned in a known_hosts file of the lab's own, and a tunnel comes up only when what was
pushed matches what the lab AWS holds (the AWS-backed oracle).
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from cgw.lab.aws_server import LabAws
    from cgw.lab.routers import SimRouter


@dataclass(frozen=True)
class SimBranch:
    """One simulated branch router and how the inventory describes it.

    The simulator is the one standing in for `platform` (see `cgw.lab.routers.simulator_for`);
    it also names the WAN interface, the login and any further `local:` settings.
    """

    name: str
    platform: str
    cgw_ip: str
    tunnel_numbers: tuple[int, int]
    advertised_prefix: str

    def local(self) -> str:
        """The inventory's `local:` mapping, as YAML flow text."""
        from cgw.lab.routers import simulator_for

        simulator = simulator_for(self.platform)
        settings = {
            "wan_interface": simulator.wan_interface,
            "tunnel_numbers": f"[{self.tunnel_numbers[0]}, {self.tunnel_numbers[1]}]",
            "advertised_prefixes": f"[{self.advertised_prefix}]",
            **simulator.inventory_local,
        }
        return "{" + ", ".join(f"{k}: {v}" for k, v in settings.items()) + "}"

    @property
    def username(self) -> str:
        from cgw.lab.routers import simulator_for

        return simulator_for(self.platform).default_username


SIM_BRANCHES = (
    SimBranch("branch-01", "cisco_xe", "203.0.113.11", (101, 102), "10.11.0.0/16"),
    SimBranch("branch-02", "juniper_junos", "203.0.113.12", (1, 2), "10.12.0.0/16"),
    SimBranch("branch-03", "strongswan", "203.0.113.13", (1, 2), "10.13.0.0/16"),
)

# Branches for vendors the example inventory does not name: 203.0.113.15 upwards, one each.
EXTRA_BRANCH_START = 5


def demo_branches() -> tuple[SimBranch, ...]:
    """The example inventory's three seeded branches, then one for every other simulator.

    A vendor whose simulator registers (`cgw.lab.routers`, `SIMULATOR`) joins the demo and the
    end-to-end lab with no change here: its branch is `branch-05`, `branch-06`, ... in the
    simulators' kind order, with its VPN connection created when the lab starts.
    """
    from cgw.lab.routers import all_simulators, simulator_for

    covered = {simulator_for(b.platform).kind for b in SIM_BRANCHES}
    extra: list[SimBranch] = []
    for kind, simulator in sorted(all_simulators().items()):
        if kind in covered:
            continue
        number = EXTRA_BRANCH_START + len(extra)
        extra.append(
            SimBranch(
                f"branch-{number:02d}",
                simulator.platforms[0],
                f"203.0.113.{10 + number}",
                (1, 2),
                f"10.{10 + number}.0.0/16",
            )
        )
    return (*SIM_BRANCHES, *extra)


PASSWORD_ENV = "CGW_LAB_PASSWORD"
HEADER = "# Written by cgw's lab for its simulated routers; rewritten each time the lab starts.\n"


@dataclass
class SimLab:
    """A running lab: AWS, routers, and the files and variables that point cgw at them."""

    folder: Path
    aws: LabAws
    routers: dict[str, SimRouter] = field(default_factory=dict)
    env: dict[str, str] = field(default_factory=dict)

    @property
    def inventory(self) -> Path:
        return self.folder / "inventory"

    @property
    def known_hosts(self) -> Path:
        return self.folder / "known_hosts"

    def stop(self) -> None:
        for router in self.routers.values():
            router.stop()
        self.aws.stop()


def inventory_text(branches: Iterable[SimBranch], lab_routers: Mapping[str, SimRouter]) -> str:
    """hosts.yaml for simulated branches: each on 127.0.0.1 at its router's port."""
    entries = []
    for branch in branches:
        router = lab_routers[branch.name]
        entries.append(
            f"{branch.name}:\n"
            f"  host: 127.0.0.1\n"
            f"  port: {router.port}\n"
            f"  platform: {branch.platform}\n"
            f"  groups: [lab, {branch.platform}]\n"
            f"  credentials: {{username: {branch.username}}}\n"
            f"  vpn: {{customer_gateway_ip: {branch.cgw_ip}}}\n"
            f"  local: {branch.local()}\n"
        )
    return "\n".join(entries)


def write_inventory(
    folder: Path, branches: Sequence[SimBranch], lab_routers: Mapping[str, SimRouter]
) -> None:
    """hosts.yaml, groups.yaml and defaults.yaml (password from $CGW_LAB_PASSWORD) in `folder`."""
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "hosts.yaml").write_text(HEADER + inventory_text(branches, lab_routers))
    (folder / "defaults.yaml").write_text(
        HEADER + f"credentials: {{password_env: {PASSWORD_ENV}, secret_env: {PASSWORD_ENV}}}\n"
        "timeout: 20\n"
    )
    groups = ["lab", *dict.fromkeys(b.platform for b in branches)]
    (folder / "groups.yaml").write_text(HEADER + "".join(f"{g}: {{}}\n" for g in groups))


def write_known_hosts(path: Path, lab_routers: Iterable[SimRouter]) -> None:
    """A known_hosts file (0600) pinning every router's host key."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.touch(mode=0o600, exist_ok=True)
    os.chmod(path, 0o600)
    path.write_text("".join(r.known_hosts_line() + "\n" for r in lab_routers))


def start_sim_lab(folder: Path, *, clock_rate: float = 60.0) -> SimLab:
    """Start the lab AWS and a simulated router per branch; write inventory and known_hosts."""
    from cgw.lab.aws_oracle import AwsOracle
    from cgw.lab.aws_server import run_lab_aws
    from cgw.lab.routers import SimClock, start_router
    from cgw.lab.seed import SeedVpn, ensure_vpns

    folder.mkdir(parents=True, exist_ok=True)
    aws = run_lab_aws(port=0)
    lab = SimLab(folder=folder, aws=aws)
    password = secrets.token_urlsafe(18)
    branches = demo_branches()
    try:
        extra = [b for b in branches if b.name not in aws.vpn_ids]
        rows = [SeedVpn(b.name, b.cgw_ip, 65000 + int(b.name[-2:]), "vgw") for b in extra]
        if rows:
            aws.vpn_ids.update(ensure_vpns(aws.endpoint, rows))
        for branch in branches:
            # One judge per router: it reports AWS telemetry for the VPN that router terminates.
            oracle = AwsOracle([aws.vpn_ids[branch.name]])
            lab.routers[branch.name] = start_router(
                branch.platform,
                hostname=branch.name,
                username=branch.username,
                password=password,
                enable_secret=password,
                host_key_path=folder / f"{branch.name}.key",
                outside_ip=branch.cgw_ip,
                oracle=oracle,
                clock=SimClock(rate=clock_rate),
            )
        inventory = lab.inventory
        write_inventory(inventory, branches, lab.routers)
        write_known_hosts(lab.known_hosts, lab.routers.values())
        lab.env = {
            **aws.env,
            PASSWORD_ENV: password,
            "CGW_KNOWN_HOSTS": str(lab.known_hosts),
            "CGW_STATE_DIR": str(folder / "state"),
            "CGW_INVENTORY": str(inventory),
        }
    except BaseException:
        lab.stop()
        raise
    return lab


@contextmanager
def lab_environment(lab: SimLab) -> Iterator[None]:
    """Point this process's cgw at the lab (AWS endpoint, credentials, known_hosts) for a block."""
    saved = {key: os.environ.get(key) for key in lab.env}
    os.environ.update(lab.env)
    try:
        yield
    finally:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value
