"""A throwaway strongSwan charon in its own network namespace, for tests that load real configs.

Each charon gets a private `/run` (its pid file and vici socket paths are compiled in), its own
`/etc/strongswan.conf` and `/etc/swanctl`, all bind-mounted inside `ip netns exec`'s private mount
namespace, so nothing reaches the host's strongSwan. Stopped by the PID it was started with.
"""

from __future__ import annotations

import os
import secrets
import shutil
import signal
import subprocess
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from cgw.lab.netns import CREDENTIAL_FOLDERS

CHARON_CANDIDATES = ("/usr/lib/ipsec/charon", "/usr/libexec/ipsec/charon")

# LAB-NOTES.md: the plugins a libipsec lab charon needs on Debian 12 (kdf is needed on 5.9.8,
# kernel-libipsec must come before kernel-netlink).
PLUGINS = (
    "random nonce drbg aes sha1 sha2 hmac gmp kdf pem pkcs1 pubkey x509 revocation constraints"
    " kernel-libipsec kernel-netlink socket-default vici updown"
)


STRONGSWAN_CONF = """\
charon {{
    load = {plugins}
    filelog {{
        charon-log {{
            path = {log}
            default = 1
            cfg = 2
            append = no
            flush_line = yes
        }}
    }}
    syslog {{
        daemon {{
            default = -1
        }}
    }}
}}
# swanctl only parses files and talks vici: without this it tries Debian's whole plugin list.
swanctl {{
    load = pem pkcs1 x509 pubkey
}}
include {root}/strongswan.d/*.conf
"""


def find_charon() -> str | None:
    """The charon binary's path on this machine, or None."""
    return next((p for p in CHARON_CANDIDATES if os.access(p, os.X_OK)), None)


def skip_reason() -> str | None:
    """Why a real charon can't run here (not root, no `ip netns`, no charon), or None."""
    if os.geteuid() != 0:
        return "real charon test needs root (network namespace, bind mounts)"
    if shutil.which("ip") is None:
        return "real charon test needs iproute2's `ip netns`"
    if find_charon() is None:
        return "real charon test needs strongswan-charon (no charon in " + ", ".join(
            CHARON_CANDIDATES
        )
    if shutil.which("swanctl") is None:
        return "real charon test needs strongswan-swanctl (no swanctl on PATH)"
    return None


@dataclass(frozen=True)
class SwanctlResult:
    """What one swanctl command printed."""

    returncode: int
    stdout: str
    stderr: str


class LabCharon:
    """One running charon inside namespace `netns`, with its files under `root`."""

    def __init__(self, netns: str, root: Path, process: subprocess.Popen[bytes]) -> None:
        self.netns = netns
        self.root = root
        self.process = process

    @property
    def swanctl_dir(self) -> Path:
        return self.root / "swanctl"

    @property
    def log_path(self) -> Path:
        return self.root / "charon.log"

    def log(self) -> str:
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""

    def install_conf(self, files: Mapping[str, str]) -> None:
        """Replace conf.d with `files` (name → swanctl.conf text), each written 0600."""
        conf_d = self.swanctl_dir / "conf.d"
        for old in conf_d.iterdir():
            old.unlink()
        for name, text in files.items():
            path = conf_d / name
            path.write_text(text)
            path.chmod(0o600)

    def swanctl(self, *args: str) -> SwanctlResult:
        """Run swanctl against this charon (inside its namespace and mounts)."""
        done = subprocess.run(
            _wrapped(self.netns, self.root, ["swanctl", *args]),
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
        return SwanctlResult(done.returncode, done.stdout, done.stderr)

    def ip(self, *args: str) -> str:
        """Run `ip -n <netns> ...` and return its output."""
        done = subprocess.run(
            ["ip", "-n", self.netns, *args], capture_output=True, text=True, check=True, timeout=30
        )
        return done.stdout

    def stop(self) -> None:
        """SIGTERM the recorded PID, after checking it is still our charon."""
        pid = self.process.pid
        if self.process.poll() is not None:
            return
        comm = Path(f"/proc/{pid}/comm")
        if comm.exists() and comm.read_text().strip() == "charon":
            os.kill(pid, signal.SIGTERM)
        try:
            self.process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            if comm.exists() and comm.read_text().strip() == "charon":
                os.kill(pid, signal.SIGKILL)
            self.process.wait(timeout=20)


def _wrapped(netns: str, root: Path, command: list[str]) -> list[str]:
    """`command` run in `netns` with this lab's /run, /etc/strongswan.conf, /etc/swanctl."""
    mounts = (
        f"mount --bind {root}/run /run"
        f" && mount --bind {root}/strongswan.conf /etc/strongswan.conf"
        f" && mount --bind {root}/swanctl /etc/swanctl"
        ' && exec "$@"'
    )
    return ["ip", "netns", "exec", netns, "sh", "-c", mounts, "sh", *command]


def _prepare_root(root: Path, settings: Mapping[str, str]) -> None:
    (root / "run").mkdir()
    (root / "strongswan.d").mkdir()
    for name, text in settings.items():
        (root / "strongswan.d" / name).write_text(text)
    swanctl_dir = root / "swanctl"
    swanctl_dir.mkdir(mode=0o700)
    for folder in (*CREDENTIAL_FOLDERS, "conf.d"):
        (swanctl_dir / folder).mkdir(mode=0o700)
    (swanctl_dir / "swanctl.conf").write_text("include conf.d/*.conf\n")
    (root / "strongswan.conf").write_text(
        STRONGSWAN_CONF.format(plugins=PLUGINS, log=root / "charon.log", root=root)
    )


def _wait_for_vici(charon: LabCharon, process: subprocess.Popen[bytes]) -> None:
    socket = charon.root / "run" / "charon.vici"
    deadline = time.monotonic() + 20
    while not socket.exists():
        if process.poll() is not None:
            raise RuntimeError(f"charon exited with {process.returncode}:\n{charon.log()}")
        if time.monotonic() > deadline:
            raise RuntimeError(f"charon did not open its vici socket:\n{charon.log()}")
        time.sleep(0.05)


@contextmanager
def lab_charon(tmp_path: Path, settings: Mapping[str, str] | None = None) -> Iterator[LabCharon]:
    """Start a charon in a fresh namespace; stop it and delete the namespace however we leave.

    `settings` are strongswan.conf fragments (file name → text) included after the lab's own.
    """
    charon_binary = find_charon()
    if charon_binary is None:
        raise RuntimeError("no charon binary")
    netns = f"cgwtest-{secrets.token_hex(4)}"
    root = tmp_path / "charon"
    root.mkdir()
    _prepare_root(root, settings or {})
    subprocess.run(["ip", "netns", "add", netns], check=True, capture_output=True)
    process: subprocess.Popen[bytes] | None = None
    try:
        subprocess.run(
            ["ip", "-n", netns, "link", "set", "lo", "up"], check=True, capture_output=True
        )
        process = subprocess.Popen(
            _wrapped(netns, root, [charon_binary]),
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        charon = LabCharon(netns, root, process)
        _wait_for_vici(charon, process)
        yield charon
    finally:
        if process is not None:
            LabCharon(netns, root, process).stop()
        subprocess.run(["ip", "netns", "delete", netns], check=False, capture_output=True)
