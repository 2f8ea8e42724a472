"""The embedded default: the lab AWS plus three simulated branch routers and an inventory for them.

`start_sim_lab(folder)` is what `cgw demo` and the end-to-end tests stand on: everything listens on
127.0.0.1 only, credentials are random and handed over in environment variables, the routers' host
keys are pinned in a known_hosts file of the lab's own, and a tunnel comes up only when what was
pushed matches what the lab AWS holds (the AWS-backed oracle).
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Literal

if TYPE_CHECKING:
    from cgw.lab.aws_server import LabAws
    from cgw.lab.routers import SimRouter

RouterKind = Literal["cisco_xe", "juniper_junos", "linux"]


@dataclass(frozen=True)
class SimBranch:
    """One simulated branch router and how the inventory describes it."""

    name: str
    kind: RouterKind
    platform: str
    cgw_ip: str
    local: str  # the inventory's `local:` mapping, as YAML flow text
    username: str = (
        "netops"  # a Linux router is managed as root, as cgw's strongswan platform expects
    )


SIM_BRANCHES = (
    SimBranch(
        "branch-01", "cisco_xe", "cisco_xe", "203.0.113.11",
        "{wan_interface: GigabitEthernet1, tunnel_numbers: [101, 102],"
        " advertised_prefixes: [10.11.0.0/16]}",
    ),
    SimBranch(
        "branch-02", "juniper_junos", "juniper_junos", "203.0.113.12",
        "{wan_interface: ge-0/0/0.0, tunnel_numbers: [1, 2], advertised_prefixes: [10.12.0.0/16]}",
    ),
    SimBranch(
        "branch-03", "linux", "strongswan", "203.0.113.13",
        "{wan_interface: eth0, tunnel_numbers: [1, 2], advertised_prefixes: [10.13.0.0/16],"
        " strongswan_dataplane: xfrm, strongswan_bgp: frr}",
        username="root",
    ),
)  # fmt: skip

PASSWORD_ENV = "CGW_LAB_PASSWORD"


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


def _inventory_text(lab_routers: dict[str, SimRouter]) -> str:
    entries = []
    for branch in SIM_BRANCHES:
        router = lab_routers[branch.name]
        entries.append(
            f"{branch.name}:\n"
            f"  host: 127.0.0.1\n"
            f"  port: {router.port}\n"
            f"  platform: {branch.platform}\n"
            f"  groups: [lab, {branch.platform}]\n"
            f"  credentials: {{username: {branch.username}}}\n"
            f"  vpn: {{customer_gateway_ip: {branch.cgw_ip}}}\n"
            f"  local: {branch.local}\n"
        )
    return "\n".join(entries)


def start_sim_lab(folder: Path, *, clock_rate: float = 60.0) -> SimLab:
    """Start the lab AWS and the three simulated routers; write inventory and known_hosts."""
    from cgw.lab.aws_oracle import AwsOracle
    from cgw.lab.aws_server import run_lab_aws
    from cgw.lab.routers import SimClock, start_router

    folder.mkdir(parents=True, exist_ok=True)
    aws = run_lab_aws(port=0)
    lab = SimLab(folder=folder, aws=aws)
    password = secrets.token_urlsafe(18)
    try:
        for branch in SIM_BRANCHES:
            # One judge per router: it reports AWS telemetry for the VPN that router terminates.
            oracle = AwsOracle([aws.vpn_ids[branch.name]])
            lab.routers[branch.name] = start_router(
                branch.kind,
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
        inventory.mkdir(exist_ok=True)
        (inventory / "hosts.yaml").write_text(_inventory_text(lab.routers))
        (inventory / "defaults.yaml").write_text(
            f"credentials: {{password_env: {PASSWORD_ENV}, secret_env: {PASSWORD_ENV}}}\n"
            "timeout: 20\n"
        )
        (inventory / "groups.yaml").write_text(
            "lab: {}\ncisco_xe: {}\njuniper_junos: {}\nstrongswan: {}\n"
        )
        lab.known_hosts.write_text(
            "".join(r.known_hosts_line() + "\n" for r in lab.routers.values())
        )
        os.chmod(lab.known_hosts, 0o600)
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
