"""A throwaway OpenSSH sshd on 127.0.0.1 for tests that open real SSH sessions.

Everything lives in one temporary folder: the config (`-f`), host key, authorized key, pid file
and log (`-D -e`, so sshd stays in the foreground and logs to a file we read). The daemon is
stopped by the PID it was started with, after checking `/proc/PID/comm`.
"""

from __future__ import annotations

import getpass
import os
import signal
import socket
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import pytest

SSHD = Path("/usr/sbin/sshd")
SSH_KEYGEN = Path("/usr/bin/ssh-keygen")
# sshd running as root refuses to start without its compiled-in privilege separation directory.
PRIVSEP_DIR = Path("/run/sshd")
READY_WAIT_S = 10.0

SSHD_CONFIG = """\
Port {port}
ListenAddress 127.0.0.1
HostKey {host_key}
PidFile {pid_file}
AuthorizedKeysFile {authorized_keys}
AllowUsers {user}
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


def require_sshd() -> None:
    """Skip the calling test when OpenSSH's server or ssh-keygen is not installed."""
    if not SSHD.exists():
        pytest.skip(f"{SSHD} is absent: install openssh-server to run real SSH session tests")
    if not SSH_KEYGEN.exists():
        pytest.skip(f"{SSH_KEYGEN} is absent: install openssh-client to make test keys")


def generate_key(path: Path) -> Path:
    """Write a new passphrase-less ed25519 key pair (path, path.pub)."""
    path.unlink(missing_ok=True)
    Path(f"{path}.pub").unlink(missing_ok=True)
    subprocess.run(
        [str(SSH_KEYGEN), "-q", "-t", "ed25519", "-N", "", "-C", "cgw-test", "-f", str(path)],
        check=True,
    )
    return path


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


@dataclass
class SshdLab:
    """One sshd listening on 127.0.0.1:port, accepting `user` with `client_key`."""

    root: Path
    port: int
    user: str = field(default_factory=getpass.getuser)
    process: subprocess.Popen[bytes] | None = None

    @property
    def host_key(self) -> Path:
        return self.root / "ssh_host_ed25519_key"

    @property
    def client_key(self) -> Path:
        return self.root / "id_ed25519"

    @property
    def authorized_keys(self) -> Path:
        return self.root / "authorized_keys"

    @property
    def log(self) -> Path:
        return self.root / "sshd.log"

    @property
    def config(self) -> Path:
        return self.root / "sshd_config"

    def prepare(self) -> None:
        """Create host and client keys, authorize the client key and write the config."""
        generate_key(self.host_key)
        generate_key(self.client_key)
        self.authorize("")
        self.config.write_text(
            SSHD_CONFIG.format(
                port=self.port,
                host_key=self.host_key,
                pid_file=self.root / "sshd.pid",
                authorized_keys=self.authorized_keys,
                user=self.user,
            )
        )

    def authorize(self, options: str) -> None:
        """(Re)write authorized_keys with the client key, prefixed by sshd key options if any."""
        public = Path(f"{self.client_key}.pub").read_text().strip()
        self.authorized_keys.write_text(f"{options} {public}\n" if options else f"{public}\n")

    def new_host_key(self) -> None:
        """Replace the host key; takes effect at the next start."""
        generate_key(self.host_key)

    def start(self) -> None:
        """Run sshd in the foreground and wait until it accepts TCP connections."""
        if os.geteuid() == 0 and not PRIVSEP_DIR.is_dir():
            PRIVSEP_DIR.mkdir(mode=0o755)
        with self.log.open("ab") as log:
            self.process = subprocess.Popen(
                [str(SSHD), "-D", "-e", "-f", str(self.config)],
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=log,
            )
        deadline = time.monotonic() + READY_WAIT_S
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"sshd exited at start: {self.log.read_text()[-2000:]}")
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=1).close()
                return
            except OSError:
                time.sleep(0.05)
        self.stop()
        raise RuntimeError(f"sshd did not listen on 127.0.0.1:{self.port}")

    def stop(self) -> None:
        """Stop the listening sshd by its recorded PID (after checking it is still sshd)."""
        if self.process is None or self.process.poll() is not None:
            self.process = None
            return
        comm = Path(f"/proc/{self.process.pid}/comm")
        if comm.exists() and comm.read_text().strip() == "sshd":
            os.kill(self.process.pid, signal.SIGTERM)
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        self.process = None

    def restart(self) -> None:
        self.stop()
        self.start()

    def log_text(self) -> str:
        return self.log.read_text(errors="replace") if self.log.exists() else ""


@contextmanager
def running_sshd(root: Path) -> Iterator[SshdLab]:
    """An sshd on a free 127.0.0.1 port with throwaway keys under root; stopped on exit."""
    require_sshd()
    root.mkdir(parents=True, exist_ok=True)
    lab = SshdLab(root=root, port=free_port())
    lab.prepare()
    lab.start()
    try:
        yield lab
    finally:
        lab.stop()
