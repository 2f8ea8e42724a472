"""The SSH transport of the simulated routers: paramiko server threads on 127.0.0.1."""

from __future__ import annotations

import contextlib
import logging
import socket
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import paramiko

from cgw.lab.routers.shell import RouterContext, Shell, crlf

log = logging.getLogger(__name__)

ShellFactory = Callable[[], Shell]


def load_or_create_host_key(path: Path) -> paramiko.PKey:
    """The host key stored at `path`, generated (ECDSA P-256) if the file does not exist."""
    if path.exists():
        return paramiko.ECDSAKey.from_private_key_file(str(path))
    return write_new_host_key(path)


def write_new_host_key(path: Path) -> paramiko.PKey:
    """A fresh host key, written to `path` (0600) replacing any previous one."""
    key = paramiko.ECDSAKey.generate(bits=256)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.touch(mode=0o600, exist_ok=True)
    key.write_private_key_file(str(path))
    return key


@dataclass
class Credentials:
    """Who may log in: a password and/or authorized public keys (OpenSSH one-line form)."""

    username: str
    password: str | None = field(default=None, repr=False)
    authorized_keys: tuple[str, ...] = ()

    def key_blobs(self) -> set[str]:
        return {line.split()[1] for line in self.authorized_keys if len(line.split()) >= 2}


class _Authenticator(paramiko.ServerInterface):  # type: ignore[misc]
    """paramiko's per-connection callbacks: auth and session/pty/shell requests."""

    def __init__(self, credentials: Credentials) -> None:
        self.credentials = credentials
        self.shell_requested = threading.Event()

    def get_allowed_auths(self, username: str) -> str:
        methods = []
        if self.credentials.authorized_keys:
            methods.append("publickey")
        if self.credentials.password is not None:
            methods += ["password", "keyboard-interactive"]
        return ",".join(methods) or "none"

    def check_auth_interactive(self, username: str, submethods: str) -> Any:
        """Keyboard-interactive login (what netmiko uses for PAN-OS): one password prompt."""
        if self.credentials.password is None or username != self.credentials.username:
            return paramiko.AUTH_FAILED
        return paramiko.InteractiveQuery("", "", ("Password: ", False))

    def check_auth_interactive_response(self, responses: list[str]) -> int:
        ok = self.credentials.password is not None and list(responses) == [
            self.credentials.password
        ]
        return int(paramiko.AUTH_SUCCESSFUL if ok else paramiko.AUTH_FAILED)

    def check_auth_password(self, username: str, password: str) -> int:
        ok = (
            self.credentials.password is not None
            and username == self.credentials.username
            and password == self.credentials.password
        )
        return int(paramiko.AUTH_SUCCESSFUL if ok else paramiko.AUTH_FAILED)

    def check_auth_publickey(self, username: str, key: paramiko.PKey) -> int:
        ok = username == self.credentials.username and key.get_base64() in (
            self.credentials.key_blobs()
        )
        return int(paramiko.AUTH_SUCCESSFUL if ok else paramiko.AUTH_FAILED)

    def check_channel_request(self, kind: str, chanid: int) -> int:
        if kind == "session":
            return int(paramiko.OPEN_SUCCEEDED)
        return int(paramiko.OPEN_FAILED_ADMINISTRATIVELY_PROHIBITED)

    def check_channel_pty_request(self, *args: Any) -> bool:
        return True

    def check_channel_window_change_request(self, *args: Any) -> bool:
        return True

    def check_channel_shell_request(self, channel: paramiko.Channel) -> bool:
        self.shell_requested.set()
        return True


class _LineDiscipline:
    """A pty's worth of behaviour: echo, CR/LF handling, one line at a time to the shell."""

    def __init__(self, channel: paramiko.Channel, shell: Shell, context: RouterContext) -> None:
        self.channel = channel
        self.shell = shell
        self.context = context
        self.lines_received = 0
        self._pending = bytearray()
        self._last_was_cr = False

    def run(self) -> None:
        """Serve the session until the client leaves, the shell hangs up or a fault cuts it."""
        try:
            self._serve()
        finally:
            hangup = getattr(self.shell, "hangup", None)  # the session's end, however it came
            if hangup is not None:
                with self.context.lock:
                    hangup()

    def _serve(self) -> None:
        self._send(self.shell.greeting() + self.shell.prompt())
        while not self.channel.closed:
            try:
                data = self.channel.recv(4096)
            except (OSError, EOFError):
                return
            if not data:
                return
            if not self._feed(data):
                return

    def _feed(self, data: bytes) -> bool:
        echo = bytearray()
        for byte in data:
            if byte in (0x0D, 0x0A):
                if byte == 0x0A and self._last_was_cr:
                    self._last_was_cr = False
                    continue
                self._last_was_cr = byte == 0x0D
                self._flush_echo(echo)
                if not self._line_done():
                    return False
                continue
            self._last_was_cr = False
            if byte in (0x08, 0x7F):
                if self._pending:
                    self._pending.pop()
                    if self.shell.echo:
                        echo += b"\x08 \x08"
                continue
            self._pending.append(byte)
            if self.shell.echo:
                echo.append(byte)
        self._flush_echo(echo)
        return True

    def _flush_echo(self, echo: bytearray) -> None:
        if echo:
            self._send_bytes(bytes(echo))
            echo.clear()

    def _line_done(self) -> bool:
        line = self._pending.decode("utf-8", errors="replace")
        self._pending.clear()
        self.lines_received += 1
        self.context.lines_received += 1
        faults = self.context.faults
        if faults.should_drop(self.lines_received):
            log.info(
                "%s: dropping session after %d lines", self.context.hostname, self.lines_received
            )
            self.channel.get_transport().close()  # abrupt: no prompt, no goodbye
            return False
        self._send("\n")
        if faults.latency > 0:
            time.sleep(faults.latency)
        with self.context.lock:
            if line.strip() and faults.rejects(line):
                reply = self.shell.invalid(line)
            else:
                reply = self.shell.handle(line)
            prompt = "" if reply.close else self.shell.prompt()
        if reply.delay_s > 0:
            time.sleep(reply.delay_s)
        self._send(reply.output + prompt)
        if reply.close:
            self.channel.close()
            return False
        return True

    def _send(self, text: str) -> None:
        self._send_bytes(crlf(text).encode("utf-8"))

    def _send_bytes(self, data: bytes) -> None:
        with contextlib.suppress(OSError, EOFError):
            self.channel.sendall(data)


@dataclass
class SshServer:
    """Accepts SSH connections on 127.0.0.1 and gives each one a fresh shell."""

    context: RouterContext
    shell_factory: ShellFactory
    credentials: Credentials
    host_key_path: Path
    port: int = 0
    _host_key: paramiko.PKey | None = None
    _listener: socket.socket | None = None
    _stopping: threading.Event = field(default_factory=threading.Event)
    _transports: set[paramiko.Transport] = field(default_factory=set)
    _threads: list[threading.Thread] = field(default_factory=list)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def start(self) -> None:
        """Bind, listen and serve in background threads."""
        self._host_key = load_or_create_host_key(self.host_key_path)
        listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind(("127.0.0.1", self.port))
        listener.listen(16)
        listener.settimeout(0.2)
        self._listener = listener
        self.port = listener.getsockname()[1]
        self._spawn(self._accept_loop, f"sim-{self.context.hostname}-accept")

    def rotate_host_key(self) -> paramiko.PKey:
        """Replace the host key (file and server) so clients that pinned the old one refuse."""
        self._host_key = write_new_host_key(self.host_key_path)
        return self._host_key

    @property
    def host_key(self) -> paramiko.PKey:
        assert self._host_key is not None, "server not started"
        return self._host_key

    def stop(self) -> None:
        """Stop accepting, cut every session and wait briefly for the threads."""
        self._stopping.set()
        if self._listener is not None:
            self._listener.close()
        with self._lock:
            transports = list(self._transports)
        for transport in transports:
            transport.close()
        for thread in self._threads:
            thread.join(timeout=0.5)

    def _spawn(self, target: Callable[..., None], name: str, *args: object) -> None:
        thread = threading.Thread(target=target, args=args, name=name, daemon=True)
        with self._lock:
            self._threads = [t for t in self._threads if t.is_alive()]
            self._threads.append(thread)
        thread.start()

    def _accept_loop(self) -> None:
        assert self._listener is not None
        while not self._stopping.is_set():
            try:
                client, _ = self._listener.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            self._spawn(self._serve, f"sim-{self.context.hostname}-session", client)

    def _serve(self, client: socket.socket) -> None:
        transport = paramiko.Transport(client)
        with self._lock:
            self._transports.add(transport)
        try:
            self._serve_transport(transport)
        except (paramiko.SSHException, OSError, EOFError) as exc:
            log.debug("%s: session ended: %s", self.context.hostname, exc)
        finally:
            transport.close()
            with self._lock:
                self._transports.discard(transport)

    def _serve_transport(self, transport: paramiko.Transport) -> None:
        transport.add_server_key(self.host_key)
        authenticator = _Authenticator(self.credentials)
        transport.start_server(server=authenticator)
        channel = transport.accept(timeout=20)
        if channel is None:
            return
        if not authenticator.shell_requested.wait(timeout=20):
            channel.close()
            return
        _LineDiscipline(channel, self.shell_factory(), self.context).run()
        with contextlib.suppress(OSError, EOFError):
            channel.close()


def known_hosts_line(port: int, key: paramiko.PKey) -> str:
    """The OpenSSH known_hosts entry pinning `key` for 127.0.0.1 on `port`."""
    return f"[127.0.0.1]:{port} {key.get_name()} {key.get_base64()}"


def authorized_key_lines(keys: Iterable[paramiko.PKey]) -> tuple[str, ...]:
    """OpenSSH authorized_keys lines for paramiko public keys."""
    return tuple(f"{key.get_name()} {key.get_base64()}" for key in keys)
