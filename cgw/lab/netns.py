"""Lab nodes in Linux network namespaces: one private /etc, /run and set of daemons per node.

Each node is a network namespace plus one mount namespace, held open by an anchor process
(`sleep infinity`) started through `ip netns exec`. The anchor's shell mounts an overlay over
/etc (writes land in the node's own folder, never in the host's /etc), then binds the node's
own /run, /etc/strongswan.conf, /etc/strongswan.d, /etc/swanctl and /etc/frr over it. Every
daemon and command of the node enters that namespace pair with `nsenter`, so plain `charon`,
`swanctl`, `vtysh` and an SSH login all see the node's view. Daemons are stopped by the PID they
were started with, after checking the process name and start time (LAB-NOTES).
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from cgw.errors import CgwError

CHARON_CANDIDATES = ("/usr/lib/ipsec/charon", "/usr/libexec/ipsec/charon")
FRR_DIR = Path("/usr/lib/frr")
SSHD = Path("/usr/sbin/sshd")
REQUIRED_TOOLS = ("ip", "nsenter", "swanctl", "vtysh", "ping", "mount", "ssh-keygen")

# LAB-NOTES: libipsec lab plugins (kdf needed on 5.9.8; kernel-libipsec before kernel-netlink);
# gcm and openssl add AES-GCM and the ECP groups AWS offers.
CHARON_PLUGINS = (
    "random nonce drbg aes sha1 sha2 hmac gmp openssl gcm kdf pem pkcs1 pubkey x509 revocation"
    " constraints kernel-libipsec kernel-netlink socket-default vici updown"
)
# swanctl warns once per missing credential folder; create them all.
CREDENTIAL_FOLDERS = (
    "x509",
    "x509ca",
    "x509aa",
    "x509ocsp",
    "x509ac",
    "x509crl",
    "pubkey",
    "private",
    "rsa",
    "ecdsa",
    "bliss",
    "pkcs8",
    "pkcs12",
)
# The node paths bound over the host's, in mount order (after the overlay on /etc).
BOUND_PATHS = (
    ("run", "/run"),
    ("etc/strongswan.conf", "/etc/strongswan.conf"),
    ("etc/strongswan.d", "/etc/strongswan.d"),
    ("etc/swanctl", "/etc/swanctl"),
    ("etc/frr", "/etc/frr"),
)
POLL_S = 0.05


class RealLabError(CgwError):
    """The real (namespace) lab could not be built, driven or torn down."""


def find_charon() -> str | None:
    """The charon binary's path on this machine, or None."""
    return next((p for p in CHARON_CANDIDATES if os.access(p, os.X_OK)), None)


def missing_requirements() -> str | None:
    """Why this machine cannot run the real lab (not root, a tool missing), or None."""
    if os.geteuid() != 0:
        return "the real lab needs root (network namespaces, mounts)"
    missing = [tool for tool in REQUIRED_TOOLS if shutil.which(tool) is None]
    if find_charon() is None:
        missing.append("charon (strongswan-charon)")
    for daemon in ("zebra", "bgpd"):
        if not (FRR_DIR / daemon).exists():
            missing.append(f"{FRR_DIR / daemon} (frr)")
    if not SSHD.exists():
        missing.append(f"{SSHD} (openssh-server)")
    if not Path("/usr/lib/ipsec/plugins/libstrongswan-kernel-libipsec.so").exists():
        missing.append("kernel-libipsec plugin (libcharon-extra-plugins)")
    if missing:
        return "the real lab needs " + ", ".join(missing)
    return None


def run(argv: Sequence[str], *, check: bool = True, timeout_s: float = 60) -> str:
    """Run a command in the root namespace and return its stdout; RealLabError on failure."""
    try:
        done = subprocess.run(
            list(argv), capture_output=True, text=True, timeout=timeout_s, check=False
        )
    except subprocess.TimeoutExpired:
        raise RealLabError(f"`{' '.join(argv)}` did not finish in {timeout_s:.0f} s") from None
    if check and done.returncode != 0:
        detail = (done.stderr or done.stdout).strip().splitlines()[-1:] or ["no output"]
        raise RealLabError(f"`{' '.join(argv)}` failed ({done.returncode}): {detail[0]}")
    return done.stdout


def wait_for(what: str, ready: Callable[[], bool], timeout_s: float) -> float:
    """Poll `ready` until it is true; return the seconds waited, RealLabError after the timeout."""
    start = time.monotonic()
    while not ready():
        if time.monotonic() - start > timeout_s:
            raise RealLabError(f"timed out after {timeout_s:.0f} s waiting for {what}")
        time.sleep(POLL_S)
    return time.monotonic() - start


# --------------------------------------------------------------------------- processes


def _start_ticks(pid: int) -> int | None:
    """The process's start time in clock ticks (field 22 of /proc/PID/stat), or None if gone."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    return int(stat.rsplit(")", 1)[1].split()[19])


def _comm(pid: int) -> str | None:
    try:
        return Path(f"/proc/{pid}/comm").read_text().strip()
    except OSError:
        return None


def _is_zombie(pid: int) -> bool:
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] == "Z"
    except OSError:
        return True


@dataclass(frozen=True)
class DaemonRecord:
    """A process the lab started: its PID, name and start time, to stop exactly that one."""

    name: str
    pid: int
    comm: str
    start_ticks: int

    def alive(self) -> bool:
        """True while the recorded process (not a later one with the same PID) runs."""
        return (
            _comm(self.pid) == self.comm
            and _start_ticks(self.pid) == self.start_ticks
            and not _is_zombie(self.pid)
        )

    def stop(self, timeout_s: float = 10) -> None:
        """SIGTERM the recorded process if it is still ours; SIGKILL it if it lingers."""
        for sig in (signal.SIGTERM, signal.SIGKILL):
            if not self.alive():
                return
            os.kill(self.pid, sig)
            deadline = time.monotonic() + timeout_s
            while self.alive() and time.monotonic() < deadline:
                time.sleep(POLL_S)
        if self.alive():
            raise RealLabError(f"{self.name} (pid {self.pid}) did not stop")


def record_process(name: str, process: subprocess.Popen[bytes], comm: str) -> DaemonRecord:
    """Record a just-started process once it has exec'd into `comm`."""
    try:
        wait_for(
            f"{name} to start",
            lambda: process.poll() is not None or _comm(process.pid) == comm,
            10,
        )
    except RealLabError:
        process.kill()
        raise
    ticks = _start_ticks(process.pid)
    if process.poll() is not None or ticks is None:
        raise RealLabError(f"{name} exited at start with status {process.returncode}")
    return DaemonRecord(name=name, pid=process.pid, comm=comm, start_ticks=ticks)


# --------------------------------------------------------------------------- nodes


@dataclass
class Node:
    """One lab node: a network namespace, its folder and the daemons running in it."""

    name: str
    netns: str
    root: Path
    anchor: DaemonRecord | None = None
    daemons: dict[str, DaemonRecord] = field(default_factory=dict)

    @property
    def run_dir(self) -> Path:
        return self.root / "run"

    @property
    def etc(self) -> Path:
        return self.root / "etc"

    def log_path(self, daemon: str) -> Path:
        return self.root / f"{daemon}.log"

    def log(self, daemon: str) -> str:
        path = self.log_path(daemon)
        return path.read_text(errors="replace") if path.exists() else ""

    def enter(self, argv: Sequence[str]) -> list[str]:
        """`argv` wrapped to run inside this node's network and mount namespaces."""
        if self.anchor is None or not self.anchor.alive():
            raise RealLabError(f"node {self.name} is not running")
        return ["nsenter", "-t", str(self.anchor.pid), "-m", "-n", "--", *argv]

    def exec(self, argv: Sequence[str], *, check: bool = True, timeout_s: float = 60) -> str:
        """Run a command inside the node and return its stdout."""
        return run(self.enter(argv), check=check, timeout_s=timeout_s)

    def start_daemon(self, name: str, argv: Sequence[str], comm: str) -> DaemonRecord:
        """Start a foreground daemon in the node (own session, output to its log) and record it."""
        with self.log_path(name).open("ab") as log:
            process = subprocess.Popen(
                self.enter(argv),
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=log,
                start_new_session=True,
            )
        record = record_process(f"{self.name}/{name}", process, comm)
        self.daemons[name] = record
        return record

    def stop_daemon(self, name: str) -> None:
        record = self.daemons.pop(name, None)
        if record is not None:
            record.stop()

    def to_json(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "netns": self.netns,
            "root": str(self.root),
            "anchor": asdict(self.anchor) if self.anchor else None,
            "daemons": {name: asdict(d) for name, d in self.daemons.items()},
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Node:
        anchor = data.get("anchor")
        return cls(
            name=data["name"],
            netns=data["netns"],
            root=Path(data["root"]),
            anchor=DaemonRecord(**anchor) if anchor else None,
            daemons={name: DaemonRecord(**d) for name, d in data.get("daemons", {}).items()},
        )


def _prepare_node_root(root: Path) -> None:
    """The node's private folders: /run, the /etc overlay layers, strongSwan and FRR config."""
    for folder in ("run", "etc/strongswan.d", "etc-upper", "etc-work", "etc/frr"):
        (root / folder).mkdir(parents=True, exist_ok=True)
    swanctl = root / "etc" / "swanctl"
    swanctl.mkdir(mode=0o700, exist_ok=True)
    for folder in (*CREDENTIAL_FOLDERS, "conf.d"):
        (swanctl / folder).mkdir(mode=0o700, exist_ok=True)
    (swanctl / "swanctl.conf").write_text("include conf.d/*.conf\n")
    frr_run = root / "run" / "frr"
    frr_run.mkdir(exist_ok=True)
    frr = root / "etc" / "frr"
    (frr / "frr.conf").touch()
    (frr / "vtysh.conf").write_text("service integrated-vtysh-config\n")
    for path in (frr_run, frr, frr / "frr.conf", frr / "vtysh.conf"):
        shutil.chown(path, "frr", "frr")
    (root / "etc" / "strongswan.conf").touch()


def _anchor_script(root: Path) -> str:
    """The anchor's shell: overlay /etc, bind the node's paths, then hold the namespaces open."""
    steps = [
        "set -e",
        "mount -t overlay cgw-lab-etc"
        f" -o lowerdir=/etc,upperdir={root}/etc-upper,workdir={root}/etc-work /etc",
        *(f"mount --bind {root}/{source} {target}" for source, target in BOUND_PATHS),
        "exec sleep infinity",
    ]
    return "\n".join(steps)


def create_node(name: str, netns: str, root: Path) -> Node:
    """Create the namespace and the node's folders, and start the anchor process."""
    root.mkdir(parents=True, exist_ok=True)
    root.chmod(0o755)
    _prepare_node_root(root)
    run(["ip", "netns", "add", netns])
    node = Node(name=name, netns=netns, root=root)
    process = subprocess.Popen(
        ["ip", "netns", "exec", netns, "sh", "-c", _anchor_script(root)],
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=node.log_path("anchor").open("ab"),
        start_new_session=True,
    )
    node.anchor = record_process(f"{name}/anchor", process, "sleep")
    node.exec(["ip", "link", "set", "lo", "up"])
    return node


def destroy_node(node: Node) -> list[str]:
    """Stop the node's daemons and anchor and delete its namespace; returns what went wrong."""
    problems: list[str] = []
    for name in list(node.daemons):
        try:
            node.stop_daemon(name)
        except RealLabError as error:
            problems.append(str(error))
    if node.anchor is not None:
        try:
            node.anchor.stop()
        except RealLabError as error:
            problems.append(str(error))
    if node.netns in list_netns():
        try:
            run(["ip", "netns", "delete", node.netns])
        except RealLabError as error:
            problems.append(str(error))
    return problems


def list_netns() -> set[str]:
    """Names of the network namespaces `ip netns` knows."""
    return {line.split()[0] for line in run(["ip", "netns", "list"]).splitlines() if line.strip()}


# --------------------------------------------------------------------------- links


def add_veth(
    a: Node | None, a_name: str, b: Node | None, b_name: str, *, root_ns_name: str | None = None
) -> None:
    """A veth pair between two nodes (None: the root namespace), both ends up.

    The pair is created in the root namespace under temporary names, then moved and renamed.
    """
    temp_a, temp_b = (root_ns_name or f"{a_name}.a")[:15], f"{b_name}.b"[:15]
    run(["ip", "link", "add", temp_a, "type", "veth", "peer", "name", temp_b])
    for node, temp, final in ((a, temp_a, a_name), (b, temp_b, b_name)):
        if node is None:
            if temp != final:
                run(["ip", "link", "set", temp, "name", final])
            run(["ip", "link", "set", final, "up"])
        else:
            run(["ip", "link", "set", temp, "netns", node.netns])
            run(["ip", "-n", node.netns, "link", "set", temp, "name", final])
            run(["ip", "-n", node.netns, "link", "set", final, "up"])


def ip(node: Node, *args: str) -> str:
    """`ip -n <node> args...`."""
    return run(["ip", "-n", node.netns, *args])


def sysctl(node: Node, setting: str) -> None:
    node.exec(["sysctl", "-qw", setting])


# --------------------------------------------------------------------------- state file


def save_state(path: Path, data: Mapping[str, Any]) -> None:
    """Write the lab state atomically (0600: it names key files, never keys)."""
    temp = path.with_suffix(".tmp")
    temp.write_text(json.dumps(data, indent=2, sort_keys=True))
    temp.chmod(0o600)
    temp.replace(path)


def load_state(path: Path) -> dict[str, Any]:
    try:
        data: dict[str, Any] = json.loads(path.read_text())
    except FileNotFoundError:
        raise RealLabError(f"no real lab state at {path}") from None
    except (OSError, ValueError) as error:
        raise RealLabError(f"cannot read real lab state {path}: {error}") from None
    return data
