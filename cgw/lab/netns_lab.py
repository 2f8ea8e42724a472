"""A real IPsec lab in network namespaces: two AWS tunnel endpoints and a bare branch router.

```
 root ns ── mgmt (198.18.0.0/30) ── branch ── eth0 203.0.113.13 ──┐
                                   (sshd, charon, FRR; bare)       inet (router)
 aws1 ── eth0 198.51.100.x/32 ─────────────────────────────────────┤
 aws2 ── eth0 198.51.100.y/32 ─────────────────────────────────────┘
```
Each AWS node is one tunnel endpoint (one charon, one `ipsec0`, one FRR), configured by
`aws_side` from the lab AWS's own records. The branch starts bare (charon and FRR running with
no configuration, sshd for cgw). The documentation addresses exist only inside the namespaces;
the root namespace holds only its end of the management link. `real_lab_down(state_path)`
undoes everything from the JSON state file, from any process.
"""

from __future__ import annotations

import json
import re
import secrets
import shutil
import socket
import subprocess
import time
from dataclasses import dataclass, field
from ipaddress import IPv4Address, IPv4Interface, IPv4Network
from pathlib import Path
from typing import Any, Final

from cgw.lab import aws_side
from cgw.lab.netns import (
    CHARON_PLUGINS,
    FRR_DIR,
    SSHD,
    Node,
    RealLabError,
    add_veth,
    create_node,
    destroy_node,
    find_charon,
    ip,
    list_netns,
    load_state,
    run,
    save_state,
    sysctl,
    wait_for,
)

BENCHMARKING: Final = IPv4Network("198.18.0.0/15")  # RFC 2544: never routed to the internet
MGMT_NETWORK: Final = IPv4Network("198.18.0.0/30")
BRANCH_CGW_IP: Final = IPv4Address("203.0.113.13")
BRANCH_LAN: Final = IPv4Interface("10.13.0.1/16")
VPC_LAN: Final = IPv4Interface(f"{aws_side.VPC_ADDRESS}/{aws_side.VPC_PREFIX.prefixlen}")
# TEST-NET-1 may be this machine's own uplink (LAB-NOTES): never on a lab interface.
FORBIDDEN: Final = IPv4Network("192.0.2.0/24")
START_TIMEOUT_S: Final = 20.0
# How charon logs a failed PSK check: the initiator gets the notify, the responder the mismatch.
AUTH_FAILURE: Final = re.compile(
    r"AUTHENTICATION_FAILED|MAC mismatched|authentication of .* failed"
)

CHARON_BASE: Final = """\
charon {{
    load = {plugins}
{extra}    # Lab speed-up: give up on a silent peer in ~7 s, not 165 s, so failover is quick.
    retransmit_timeout = 1
    retransmit_base = 1.4
    retransmit_tries = 3
    filelog {{
        charon-log {{
            path = {log}
            default = 1
            ike = 2
            cfg = 2
            append = yes
            flush_line = yes
            time_format = %H:%M:%S
        }}
    }}
    syslog {{
        daemon {{
            default = -1
        }}
    }}
}}
# swanctl only parses files and talks vici: without this it loads Debian's whole plugin list.
swanctl {{
    load = pem pkcs1 x509 pubkey
}}
include strongswan.d/*.conf
"""
# LAB-NOTES: without these the 0/0 route into ipsec0 captures charon's own UDP/4500 packets.
LIBIPSEC_SAFE: Final = """\
    routing_table = 220
    routing_table_prio = 40000
    plugins {
        kernel-libipsec {
            allow_peer_ts = no
        }
    }
"""

SSHD_CONFIG: Final = """\
Port 22
ListenAddress {address}
HostKey {host_key}
PidFile /run/sshd.pid
AuthorizedKeysFile {authorized_keys}
AllowUsers root
PermitRootLogin prohibit-password
PubkeyAuthentication yes
PasswordAuthentication no
KbdInteractiveAuthentication no
UsePAM no
StrictModes no
PrintMotd no
PrintLastLog no
LogLevel VERBOSE
"""


def charon_settings(node: Node, *, libipsec_safe: bool) -> str:
    """A node's /etc/strongswan.conf; the branch's lacks the libipsec settings cgw must render."""
    return CHARON_BASE.format(
        plugins=CHARON_PLUGINS,
        extra=LIBIPSEC_SAFE if libipsec_safe else "",
        log=node.log_path("charon"),
    )


# --------------------------------------------------------------------------- daemons


def start_charon(node: Node) -> None:
    """Start the node's charon and wait for its vici socket."""
    charon = find_charon()
    if charon is None:
        raise RealLabError("no charon binary")
    record = node.start_daemon("charon", [charon], "charon")
    vici = node.run_dir / "charon.vici"
    try:
        wait_for(f"{node.name}'s charon to open vici", lambda: vici.exists(), START_TIMEOUT_S)
    except RealLabError:
        raise RealLabError(
            f"{node.name}: charon did not start: {node.log('charon')[-800:]}"
        ) from None
    if not record.alive():
        raise RealLabError(f"{node.name}: charon exited: {node.log('charon')[-800:]}")


def stop_charon(node: Node) -> None:
    node.stop_daemon("charon")
    (node.run_dir / "charon.vici").unlink(missing_ok=True)


def start_frr(node: Node) -> None:
    """zebra and bgpd in the foreground with an empty configuration, vty over unix sockets only."""
    for daemon in ("zebra", "bgpd"):
        argv = [str(FRR_DIR / daemon), "-u", "frr", "-g", "frr", "-P", "0", "--log", "stdout"]
        argv += ["-f", "/etc/frr/frr.conf", "-i", f"/run/frr/{daemon}.pid"]
        node.start_daemon(daemon, argv, daemon)
        wait_for(f"{node.name}'s {daemon}", (node.run_dir / "frr" / f"{daemon}.vty").exists, 20)


def has_link(node: Node, name: str) -> bool:
    return (
        subprocess.run(
            ["ip", "-n", node.netns, "link", "show", "dev", name], capture_output=True, check=False
        ).returncode
        == 0
    )


# --------------------------------------------------------------------------- the AWS side


def configure_aws_node(node: Node, endpoint: aws_side.AwsEndpoint) -> None:
    """Write the endpoint's swanctl and FRR files into the node (0600)."""
    conf = node.etc / "swanctl" / "conf.d" / "aws.conf"
    conf.write_text(aws_side.swanctl_conf(endpoint))
    conf.chmod(0o600)
    frr = node.etc / "frr" / "aws.conf"
    frr.write_text(aws_side.frr_conf(endpoint))
    shutil.chown(frr, "frr", "frr")


def start_aws_tunnel(node: Node, endpoint: aws_side.AwsEndpoint) -> None:
    """charon up with the endpoint's config; the inside /30 on ipsec0 once charon made it."""
    configure_aws_node(node, endpoint)
    start_charon(node)
    node.exec(["swanctl", "--load-all", "--noprompt"])
    wait_for(f"{node.name}'s ipsec0", lambda: has_link(node, "ipsec0"), START_TIMEOUT_S)
    inside = f"{endpoint.aws_inside_ip}/{endpoint.inside_cidr.prefixlen}"
    ip(node, "address", "replace", inside, "dev", "ipsec0")


def reload_aws_tunnel(node: Node, endpoint: aws_side.AwsEndpoint) -> None:
    """Apply a changed record (a new PSK): reload, and restart the IKE SA as AWS does."""
    configure_aws_node(node, endpoint)
    node.exec(["swanctl", "--load-all", "--noprompt"])
    node.exec(["swanctl", "--terminate", "--ike", endpoint.name, "--force"], check=False)


def start_aws_bgp(node: Node) -> None:
    start_frr(node)
    node.exec(["vtysh", "-f", "/etc/frr/aws.conf"])


# --------------------------------------------------------------------------- the branch


@dataclass(frozen=True)
class SshAccess:
    """How cgw reaches the branch: management address, root login by key, the pinned host key."""

    host: str
    port: int
    user: str
    key_file: str
    known_hosts_line: str


def _keygen(path: Path) -> None:
    path.unlink(missing_ok=True)
    Path(f"{path}.pub").unlink(missing_ok=True)
    run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", "cgw-real-lab", "-f", str(path)])


def start_branch_sshd(node: Node, address: IPv4Address, keys: Path) -> SshAccess:
    """sshd on the management address (root by key only), with a fresh host key and client key."""
    keys.mkdir(mode=0o700, parents=True, exist_ok=True)
    host_key, client_key = keys / "ssh_host_ed25519_key", keys / "id_ed25519"
    _keygen(host_key)
    _keygen(client_key)
    authorized = keys / "authorized_keys"
    authorized.write_text(Path(f"{client_key}.pub").read_text())
    config = node.root / "sshd_config"
    config.write_text(
        SSHD_CONFIG.format(address=address, host_key=host_key, authorized_keys=authorized)
    )
    (node.run_dir / "sshd").mkdir(mode=0o755, exist_ok=True)  # sshd's privilege separation dir
    node.start_daemon("sshd", [str(SSHD), "-D", "-e", "-f", str(config)], "sshd")
    wait_for(f"{node.name}'s sshd", lambda: _accepts(str(address), 22), START_TIMEOUT_S)
    host_public = " ".join(Path(f"{host_key}.pub").read_text().split()[:2])
    return SshAccess(str(address), 22, "root", str(client_key), f"{address} {host_public}")


def _accepts(host: str, port: int) -> bool:
    try:
        socket.create_connection((host, port), timeout=0.5).close()
        return True
    except OSError:
        return False


# --------------------------------------------------------------------------- the lab


@dataclass
class RealLab:
    """A running namespace lab and its state file."""

    state_path: Path
    lab_id: str
    root: Path
    vpn_id: str
    nodes: dict[str, Node]
    ssh: SshAccess | None = None
    mgmt_interface: str = ""
    mgmt_network: IPv4Network = MGMT_NETWORK
    timings: dict[str, float] = field(default_factory=dict)

    @property
    def branch(self) -> Node:
        return self.nodes["branch"]

    def aws(self, number: int) -> Node:
        """The node of AWS tunnel 1 or 2."""
        return self.nodes[f"aws{number}"]

    def save(self) -> None:
        save_state(self.state_path, self.to_json())

    def to_json(self) -> dict[str, Any]:
        return {
            "lab_id": self.lab_id,
            "root": str(self.root),
            "vpn_id": self.vpn_id,
            "nodes": {name: node.to_json() for name, node in self.nodes.items()},
            "ssh": self.ssh.__dict__ if self.ssh else None,
            "mgmt_interface": self.mgmt_interface,
            "mgmt_network": str(self.mgmt_network),
            "timings": self.timings,
            "addresses": {
                "branch_cgw_ip": str(BRANCH_CGW_IP),
                "branch_lan": str(BRANCH_LAN),
                "vpc_lan": str(VPC_LAN),
            },
        }

    @classmethod
    def load(cls, state_path: Path) -> RealLab:
        data = load_state(state_path)
        ssh = data.get("ssh")
        return cls(
            state_path=state_path,
            lab_id=data["lab_id"],
            root=Path(data["root"]),
            vpn_id=data["vpn_id"],
            nodes={name: Node.from_json(n) for name, n in data["nodes"].items()},
            ssh=SshAccess(**ssh) if ssh else None,
            mgmt_interface=data.get("mgmt_interface", ""),
            mgmt_network=IPv4Network(data.get("mgmt_network", str(MGMT_NETWORK))),
            timings=data.get("timings", {}),
        )

    # --- faults and repairs (the AWS side reads the lab AWS of this process) ---

    def stop_aws_tunnel(self, number: int) -> None:
        """Stop AWS tunnel `number`'s charon (its BGP goes with the tunnel)."""
        stop_charon(self.aws(number))
        self.save()

    def start_aws_tunnel(self, number: int) -> None:
        """Start AWS tunnel `number` again from the lab AWS's current record."""
        start_aws_tunnel(self.aws(number), aws_side.lab_endpoints(self.vpn_id)[number - 1])
        self.save()

    def reload_aws_tunnel(self, number: int) -> None:
        """Re-read the lab AWS's record (e.g. after ModifyVpnTunnelOptions) into tunnel `number`."""
        reload_aws_tunnel(self.aws(number), aws_side.lab_endpoints(self.vpn_id)[number - 1])

    def aws_view(self, number: int) -> tuple[bool, int]:
        """AWS tunnel `number`'s view: CHILD_SA installed, BGP prefixes accepted from the CGW."""
        node = self.aws(number)
        if "charon" not in node.daemons:
            return False, 0
        sas = node.exec(["swanctl", "--list-sas"], check=False)
        summary = node.exec(["vtysh", "-c", "show bgp summary json"], check=False)
        try:
            peers = json.loads(summary).get("ipv4Unicast", {}).get("peers", {})
        except ValueError:
            peers = {}
        accepted = sum(
            int(p.get("pfxRcd", 0)) for p in peers.values() if p.get("state") == "Established"
        )
        return "INSTALLED" in sas, accepted

    def sync_aws_telemetry(self) -> None:
        """Report each endpoint's view to the lab AWS's VgwTelemetry, as AWS does for a tunnel."""
        from cgw.lab.aws_server import set_tunnel_status

        for endpoint in aws_side.lab_endpoints(self.vpn_id):
            up, accepted = self.aws_view(endpoint.number)
            status = "UP" if up else "DOWN"
            set_tunnel_status(self.vpn_id, str(endpoint.outside_ip), status, accepted)

    def restart_branch_charon(self) -> None:
        """What `systemctl restart strongswan` is on a Debian 12 host (charon-systemd's unit).

        charon re-reads its settings, then `swanctl --load-all` as the unit's ExecStartPost.
        """
        stop_charon(self.branch)
        start_charon(self.branch)
        self.save()
        self.branch.exec(["swanctl", "--load-all", "--noprompt"])

    def ike_auth_failures(self, number: int) -> list[str]:
        """Lines of the branch's and the AWS tunnel's charon logs naming an IKE auth failure."""
        lines = self.branch.log("charon").splitlines() + self.aws(number).log("charon").splitlines()
        return [line for line in lines if AUTH_FAILURE.search(line)]


def _new_lab(
    state_path: Path, vpn_id: str, root: Path | None, mgmt_network: IPv4Network
) -> RealLab:
    lab_id = secrets.token_hex(3)
    lab_root = root or state_path.parent / f"cgw-real-lab-{lab_id}"
    lab_root.mkdir(parents=True, exist_ok=True)
    lab_root.chmod(0o755)
    return RealLab(
        state_path=state_path,
        lab_id=lab_id,
        root=lab_root,
        vpn_id=vpn_id,
        nodes={},
        mgmt_interface=f"cgw{lab_id}m",
        mgmt_network=mgmt_network,
    )


def _check_addresses(
    endpoints: tuple[aws_side.AwsEndpoint, aws_side.AwsEndpoint], mgmt_network: IPv4Network
) -> None:
    """Refuse addresses the lab must never use, and a management link already in use."""
    for endpoint in endpoints:
        for address in (endpoint.outside_ip, endpoint.cgw_ip):
            if address in FORBIDDEN:
                raise RealLabError(f"the lab never uses {FORBIDDEN} (got {address})")
    in_use = run(["ip", "-4", "-o", "address", "show"])
    for line in in_use.splitlines():
        words = line.split()
        if "inet" in words and IPv4Interface(words[words.index("inet") + 1]).network.overlaps(
            mgmt_network
        ):
            raise RealLabError(f"{mgmt_network} is already in use here: is a real lab up?")


def _wire(lab: RealLab, endpoints: tuple[aws_side.AwsEndpoint, aws_side.AwsEndpoint]) -> None:
    """veth links and addresses: the tiny internet, the branch's LAN and the management link."""
    inet, branch = lab.nodes["inet"], lab.branch
    aws_router = next(IPv4Network(f"{endpoints[0].outside_ip}/24", strict=False).hosts())
    cgw_lan = IPv4Network(f"{BRANCH_CGW_IP}/24", strict=False)
    cgw_router = next(h for h in cgw_lan.hosts() if h != BRANCH_CGW_IP)
    sysctl(inet, "net.ipv4.ip_forward=1")
    for endpoint in endpoints:
        node, link = lab.aws(endpoint.number), f"aws{endpoint.number}"
        add_veth(inet, link, node, "eth0")
        ip(inet, "address", "add", f"{aws_router}/32", "dev", link)
        ip(inet, "route", "add", f"{endpoint.outside_ip}/32", "dev", link)
        ip(node, "address", "add", f"{endpoint.outside_ip}/32", "dev", "eth0")
        # No default route: what the main table doesn't know falls through to ipsec0 (table 220).
        ip(node, "route", "add", f"{cgw_lan}", "via", str(aws_router), "dev", "eth0", "onlink")
        ip(node, "address", "add", str(VPC_LAN), "dev", "lo")
    add_veth(inet, "branch", branch, "eth0")
    ip(inet, "address", "add", f"{cgw_router}/{cgw_lan.prefixlen}", "dev", "branch")
    ip(branch, "address", "add", f"{BRANCH_CGW_IP}/{cgw_lan.prefixlen}", "dev", "eth0")
    ip(branch, "route", "add", "default", "via", str(cgw_router))
    ip(branch, "address", "add", str(BRANCH_LAN), "dev", "lo")
    host_end, branch_end = list(lab.mgmt_network.hosts())
    add_veth(None, lab.mgmt_interface, branch, "mgmt0", root_ns_name=lab.mgmt_interface)
    run(
        [
            "ip",
            "address",
            "add",
            f"{host_end}/{lab.mgmt_network.prefixlen}",
            "dev",
            lab.mgmt_interface,
        ]
    )
    ip(branch, "address", "add", f"{branch_end}/{lab.mgmt_network.prefixlen}", "dev", "mgmt0")


def real_lab_up(
    vpn_id: str,
    state_path: Path,
    *,
    root: Path | None = None,
    mgmt_network: IPv4Network = MGMT_NETWORK,
) -> RealLab:
    """Build the lab for `vpn_id` (a VPN of the lab AWS running in this process).

    `mgmt_network` is the /30 between the root namespace and the branch's sshd; it must lie in
    198.18.0.0/15 (benchmarking range) and be unused here.

    The AWS side comes up configured and waiting; the branch is bare. On any failure everything
    built so far is torn down before the error is raised.
    """
    started = time.monotonic()
    endpoints = aws_side.lab_endpoints(vpn_id)
    if mgmt_network.prefixlen != 30 or not mgmt_network.subnet_of(BENCHMARKING):
        raise RealLabError(f"the management link must be a /30 in {BENCHMARKING}")
    _check_addresses(endpoints, mgmt_network)
    lab = _new_lab(state_path, vpn_id, root, mgmt_network)
    try:
        for name in ("inet", "aws1", "aws2", "branch"):
            lab.nodes[name] = create_node(name, f"cgwlab-{lab.lab_id}-{name}", lab.root / name)
            lab.save()
        _wire(lab, endpoints)
        lab.save()
        for endpoint in endpoints:
            node = lab.aws(endpoint.number)
            node.etc.joinpath("strongswan.conf").write_text(
                charon_settings(node, libipsec_safe=True)
            )
            start_aws_tunnel(node, endpoint)
            start_aws_bgp(node)
            lab.save()
        branch = lab.branch
        branch.etc.joinpath("strongswan.conf").write_text(
            charon_settings(branch, libipsec_safe=False)
        )
        start_charon(branch)
        start_frr(branch)
        lab.save()
        branch_end = list(mgmt_network.hosts())[1]
        lab.ssh = start_branch_sshd(branch, branch_end, lab.root / "ssh")
        lab.timings["up_s"] = round(time.monotonic() - started, 3)
        lab.save()
    except BaseException:
        teardown(lab)
        raise
    return lab


def teardown(lab: RealLab) -> list[str]:
    """Stop every recorded daemon and delete every namespace and the management link."""
    problems: list[str] = []
    for node in reversed(list(lab.nodes.values())):
        problems += destroy_node(node)
    if lab.mgmt_interface:
        run(["ip", "link", "delete", lab.mgmt_interface], check=False)
    leftovers = {n.netns for n in lab.nodes.values()} & list_netns()
    problems += [f"namespace {name} is still there" for name in sorted(leftovers)]
    return problems


def real_lab_down(state_path: Path, *, remove_files: bool = False) -> list[str]:
    """Tear down the lab recorded in `state_path` (any process); returns problems, [] if clean."""
    lab = RealLab.load(state_path)
    problems = teardown(lab)
    if not problems:
        state_path.unlink(missing_ok=True)
        if remove_files:
            shutil.rmtree(lab.root, ignore_errors=True)
    return problems
