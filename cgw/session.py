"""SSH sessions to devices: credentials from the environment, checked host keys, masked logs.

Host keys are always checked. cgw keeps its own OpenSSH-format known_hosts file so that it never
rewrites the operator's `~/.ssh/known_hosts`: `$CGW_KNOWN_HOSTS` when set, otherwise
`$XDG_CONFIG_HOME/cgw/known_hosts` (`~/.config/cgw/known_hosts`). Point `CGW_KNOWN_HOSTS` at
`~/.ssh/known_hosts` to reuse keys already verified with ssh. Entries for a port other than 22
are written and looked up as `[host]:port`, as OpenSSH does; hashed entries are read too.

Before netmiko connects, the server's key is fetched with a bare paramiko Transport (no
authentication) and compared with the file: an unknown key is refused unless the caller accepts
new keys (like OpenSSH's `StrictHostKeyChecking=accept-new`), and a changed key is always refused.
netmiko then connects with `ssh_strict=True` against the same file, so a key swapped between the
two connections is refused as well. No credential is sent to a host whose key did not match.
"""

from __future__ import annotations

import base64
import contextlib
import functools
import hashlib
import io
import logging
import os
import select
import socket
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from types import TracebackType
from typing import Any

import paramiko
from netmiko.exceptions import NetmikoAuthenticationException, ReadTimeout
from netmiko.session_log import SessionLog
from netmiko.ssh_dispatcher import CLASS_MAPPER

from cgw.errors import DeviceError
from cgw.model import Device
from cgw.secrets import Masker, MaskingFilter, current_masker

KNOWN_HOSTS_ENV = "CGW_KNOWN_HOSTS"
ACCEPT_NEW_HINT = "--accept-new-host-key"
SSH_PORT = 22
# Loggers that see channel traffic (commands, output) or authentication.
LIBRARY_LOGGERS = ("netmiko", "paramiko", "paramiko.transport", "paramiko.transport.sftp")
# paramiko's words when a server accepts TCP but does not speak SSH in time.
SILENT_SERVER_MESSAGES = ("No existing session", "Error reading SSH protocol banner")
# paramiko names an RSA host key "ssh-rsa" whatever signature algorithm was negotiated.
RSA_SIGNATURE_TYPES = ("rsa-sha2-512", "rsa-sha2-256", "ssh-rsa")


def default_known_hosts() -> Path:
    """cgw's known_hosts: $CGW_KNOWN_HOSTS, else $XDG_CONFIG_HOME (~/.config)/cgw/known_hosts."""
    configured = os.environ.get(KNOWN_HOSTS_ENV)
    if configured:
        return Path(configured).expanduser()
    config_home = os.environ.get("XDG_CONFIG_HOME") or str(Path.home() / ".config")
    return Path(config_home) / "cgw" / "known_hosts"


def fingerprint(key: Any) -> str:
    """A host key's OpenSSH fingerprint, `SHA256:` and unpadded base64."""
    digest = hashlib.sha256(key.asbytes()).digest()
    return "SHA256:" + base64.b64encode(digest).decode("ascii").rstrip("=")


def known_hosts_name(host: str, port: int) -> str:
    """The name a host is filed under in known_hosts: `host`, or `[host]:port` off port 22."""
    return host if port == SSH_PORT else f"[{host}]:{port}"


def _where(device: Device) -> str:
    return f"device {device.name} ({device.host}:{device.port})"


@dataclass(frozen=True)
class Login:
    """The credentials resolved for one device; values never appear in repr."""

    username: str
    password: str | None = field(default=None, repr=False)
    secret: str | None = field(default=None, repr=False)
    key_file: Path | None = None


def _env_value(device: Device, variable: str, what: str) -> str:
    value = os.environ.get(variable)
    if not value:
        raise DeviceError(
            f"device {device.name}: environment variable {variable} ({what}) is not set or empty"
        )
    return value


def resolve_login(device: Device) -> Login:
    """Read the device's username, password, enable secret and key file from the inventory/env."""
    credentials = device.credentials
    if credentials.username_env:
        username = _env_value(device, credentials.username_env, "username")
    elif credentials.username:
        username = credentials.username
    else:
        raise DeviceError(f"device {device.name}: no username or username_env in credentials")
    password = (
        _env_value(device, credentials.password_env, "password")
        if credentials.password_env
        else None
    )
    secret = (
        _env_value(device, credentials.secret_env, "enable secret")
        if credentials.secret_env
        else None
    )
    key_file = Path(credentials.key_file).expanduser() if credentials.key_file else None
    if key_file is not None and not key_file.is_file():
        raise DeviceError(f"device {device.name}: key file {key_file} does not exist")
    if password is None and key_file is None:
        raise DeviceError(f"device {device.name}: credentials need password_env or key_file")
    return Login(username=username, password=password, secret=secret, key_file=key_file)


def _load_known_hosts(path: Path) -> Any:
    """The host keys in an OpenSSH known_hosts file (empty when the file does not exist)."""
    host_keys = paramiko.HostKeys()
    if path.exists():
        try:
            host_keys.load(str(path))
        except OSError as error:
            raise DeviceError(f"cannot read known_hosts {path}: {error.strerror}") from None
    return host_keys


def _preferred_key_types(offered: Sequence[str], known: Sequence[str]) -> list[str]:
    """paramiko's host key algorithms, the types already known for the host first."""
    first: list[str] = []
    for key_type in known:
        first.extend(RSA_SIGNATURE_TYPES if key_type == "ssh-rsa" else (key_type,))
    first = [t for t in dict.fromkeys(first) if t in offered]
    return first + [t for t in offered if t not in first]


def fetch_host_key(device: Device, timeout_s: float, known_types: Sequence[str] = ()) -> Any:
    """The server's host key, from a key exchange without authentication."""
    where = _where(device)
    try:
        sock = socket.create_connection((device.host, device.port), timeout=timeout_s)
    except ConnectionRefusedError:
        raise DeviceError(f"{where}: connection refused") from None
    except TimeoutError:
        raise DeviceError(f"{where}: no answer within {timeout_s:g} s") from None
    except socket.gaierror:
        raise DeviceError(f"{where}: cannot resolve host name {device.host}") from None
    except OSError as error:
        raise DeviceError(f"{where}: cannot connect: {error.strerror or error}") from None
    transport = paramiko.Transport(sock)
    try:
        options = transport.get_security_options()
        options.key_types = _preferred_key_types(options.key_types, known_types)
        transport.banner_timeout = timeout_s
        transport.start_client(timeout=timeout_s)
        return transport.get_remote_server_key()
    except (paramiko.SSHException, EOFError, OSError) as error:
        detail = " ".join(str(error).split()) or type(error).__name__
        if isinstance(error, TimeoutError) or any(m in detail for m in SILENT_SERVER_MESSAGES):
            detail = f"no SSH banner and key exchange within {timeout_s:g} s"
        raise DeviceError(f"{where}: SSH key exchange failed: {detail}") from None
    finally:
        transport.close()
        sock.close()


def _record_host_key(path: Path, name: str, key: Any) -> None:
    """Append `name type base64` to a known_hosts file, creating it private (0600)."""
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
    with os.fdopen(fd, "a", encoding="utf-8") as known_hosts:
        if known_hosts.tell() > 0 and not path.read_bytes().endswith(b"\n"):
            known_hosts.write("\n")
        known_hosts.write(f"{name} {key.get_name()} {key.get_base64()}\n")


def check_host_key(
    device: Device, known_hosts: Path, *, accept_new: bool = False, timeout_s: float = 30
) -> None:
    """Refuse a device whose SSH host key is unknown (unless accept_new) or has changed."""
    name = known_hosts_name(device.host, device.port)
    entry = _load_known_hosts(known_hosts).lookup(name)
    known = dict(entry) if entry is not None else {}
    server_key = fetch_host_key(device, timeout_s, tuple(known))
    key_type = server_key.get_name()
    if known.get(key_type) == server_key:
        return
    shown = f"{key_type} {fingerprint(server_key)}"
    if known:
        expected = known.get(key_type) or next(iter(known.values()))
        raise DeviceError(
            f"{_where(device)}: HOST KEY CHANGED for {name}: it offers {shown} but {known_hosts}"
            f" has {expected.get_name()} {fingerprint(expected)}; no credentials were sent."
            f" If the change is expected, remove the old entry from {known_hosts} and retry"
        )
    if not accept_new:
        raise DeviceError(
            f"{_where(device)}: host key for {name} is not known ({shown}); check the"
            f" fingerprint, then connect with {ACCEPT_NEW_HINT} or add it to {known_hosts}"
        )
    _record_host_key(known_hosts, name, server_key)


class _MaskedLogFile(io.BufferedIOBase):
    """A session log (mode 0600) fed by netmiko's SessionLog; whole lines, secrets masked."""

    def __init__(self, path: Path, masker: Masker) -> None:
        super().__init__()
        fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
        self._file = os.fdopen(fd, "a", encoding="utf-8")
        self._masker = masker
        # A secret can arrive split over two channel reads; hold the unfinished line back.
        self._pending = ""
        self._paused = False

    @contextlib.contextmanager
    def paused(self, what: str) -> Iterator[None]:
        """Log nothing of what the channel carries in this block (a transfer of secret files)."""
        self._file.write(self._masker.mask(self._pending))
        self._pending = ""
        self._file.write(f"\n[cgw: {what}: not logged, it carries secrets]\n")
        self._paused = True
        try:
            yield
        finally:
            self._paused = False

    def write(self, data: Any) -> int:
        chunk = bytes(data)
        if self._paused:
            return len(chunk)
        self._pending += chunk.decode("utf-8", errors="replace")
        complete, newline, rest = self._pending.rpartition("\n")
        if newline:
            self._file.write(self._masker.mask(complete + newline))
            self._pending = rest
        return len(chunk)

    def flush(self) -> None:
        if not self._file.closed:
            self._file.flush()

    def close(self) -> None:
        if not self._file.closed:
            self._file.write(self._masker.mask(self._pending))
            self._pending = ""
            self._file.close()
        super().close()


class _LibraryLogMasking:
    """A MaskingFilter on the netmiko and paramiko loggers and their handlers, while attached."""

    def __init__(self, masker: Masker) -> None:
        self.filter = MaskingFilter(masker)
        self._filter = self.filter
        self._targets: list[logging.Logger | logging.Handler] = []

    def attach(self) -> None:
        for logger in _library_loggers():
            self._targets.append(logger)
            self._targets.extend(logger.handlers)
        for target in self._targets:
            target.addFilter(self._filter)

    def detach(self) -> None:
        for target in self._targets:
            target.removeFilter(self._filter)
        self._targets.clear()


def _library_loggers() -> list[logging.Logger]:
    """netmiko's and paramiko's loggers, including every child logger created so far."""
    loggers = {name: logging.getLogger(name) for name in LIBRARY_LOGGERS}
    for name, logger in list(logging.root.manager.loggerDict.items()):
        roots = tuple(f"{root}." for root in ("netmiko", "paramiko"))
        if name.startswith(roots) and isinstance(logger, logging.Logger):
            loggers[name] = logger
    return list(loggers.values())


def _session_masker(device: Device, login: Login, masker: Masker | None) -> Masker:
    """The run's masker (so what a session learns is masked everywhere), plus the login's."""
    secrets = masker if masker is not None else current_masker()
    if login.password:
        secrets.add(f"password:{device.name}", login.password)
    if login.secret:
        secrets.add(f"secret:{device.name}", login.secret)
    return secrets


class Session:
    """An open SSH session to one device: run commands, send config lines, close."""

    def __init__(
        self,
        device: Device,
        connection: Any,
        *,
        timeout_s: int,
        masker: Masker,
        log_masking: _LibraryLogMasking,
        session_log: _MaskedLogFile | None,
    ) -> None:
        self._device = device
        self._connection = connection
        self._timeout_s = timeout_s
        self._masker = masker
        self._log_masking = log_masking
        self._session_log = session_log
        self._closed = False

    @property
    def device(self) -> Device:
        return self._device

    @property
    def connection(self) -> Any:
        """The netmiko connection, for a platform's driver-specific call (commit, transfer)."""
        return self._connection

    def send_command(self, command: str, *, read_timeout_s: float | None = None) -> str:
        """Run one command and return its output as the device printed it (unmasked)."""
        try:
            output = self._connection.send_command(
                command, read_timeout=read_timeout_s or self._timeout_s
            )
        except Exception as error:
            raise self._failure("command failed", error) from None
        return str(output)

    def send_config_lines(self, lines: Sequence[str]) -> str:
        """Enter config mode, send the lines in order, leave config mode; returns the echo."""
        try:
            output = self._connection.send_config_set(list(lines), read_timeout=self._timeout_s)
        except Exception as error:
            raise self._failure("sending configuration failed", error) from None
        return str(output)

    @contextlib.contextmanager
    def unlogged(self, what: str) -> Iterator[None]:
        """Keep what the channel carries in this block (a file holding a key, in any encoding,
        possibly split over chunks) out of the session log and the library debug log."""
        log = self._session_log
        with contextlib.ExitStack() as stack:
            if log is not None:
                stack.enter_context(log.paused(what))
            stack.enter_context(self._log_masking.filter.paused())
            yield

    def enable(self) -> None:
        """Enter privileged (enable) mode with the device's enable secret; closes on failure."""
        try:
            self._connection.enable()
        except Exception as error:
            self.close()
            raise self._failure("entering enable mode failed", error) from None

    def close(self) -> None:
        """Disconnect, finish the session log and stop masking library loggers; idempotent."""
        if self._closed:
            return
        self._closed = True
        try:
            self._connection.disconnect()
        finally:
            _finish(self._log_masking, self._session_log)

    def _failure(self, what: str, error: Exception) -> DeviceError:
        return DeviceError(f"{_where(self._device)}: {what}: {describe(error, self._masker)}")

    def __enter__(self) -> Session:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"Session(device={self._device.name!r}, closed={self._closed})"


def describe(error: BaseException, masker: Masker) -> str:
    """One short, masked line for a netmiko/paramiko failure (no regex advice paragraphs)."""
    if isinstance(error, ChannelClosedError) or isinstance(error.__context__, ChannelClosedError):
        return "the device closed the connection"
    if isinstance(error, ReadTimeout):
        return "no answer in time (the device stopped responding, or its prompt is unexpected)"
    if isinstance(error, EOFError | OSError) and not str(error):
        return "the connection was lost"
    first = str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__
    return masker.mask(" ".join(first.split()))


def _finish(log_masking: _LibraryLogMasking, session_log: _MaskedLogFile | None) -> None:
    if session_log is not None:
        session_log.close()
    log_masking.detach()


def open_session(
    device: Device,
    platform_netmiko_type: str,
    *,
    known_hosts: Path,
    accept_new_host_key: bool = False,
    session_log: Path | None = None,
    masker: Masker | None = None,
    timeout_s: int | None = None,
) -> Session:
    """Open an SSH session to a device after checking its host key against known_hosts.

    Raises DeviceError (one line) for a missing credential, an unknown or changed host key,
    a refused or silent connection and an authentication failure.
    """
    login = resolve_login(device)
    timeout = timeout_s if timeout_s is not None else device.timeout_s
    secrets = _session_masker(device, login, masker)
    log_masking = _LibraryLogMasking(secrets)
    log_masking.attach()
    log_file: _MaskedLogFile | None = None
    try:
        check_host_key(device, known_hosts, accept_new=accept_new_host_key, timeout_s=timeout)
        log_file = _MaskedLogFile(session_log, secrets) if session_log is not None else None
        connection = _connect(
            device, platform_netmiko_type, login, known_hosts, timeout, log_file, secrets
        )
    except BaseException:
        _finish(log_masking, log_file)
        raise
    session = Session(
        device,
        connection,
        timeout_s=timeout,
        masker=secrets,
        log_masking=log_masking,
        session_log=log_file,
    )
    if login.secret:
        session.enable()
    return session


class ChannelClosedError(EOFError):
    """The device closed the SSH channel while cgw was waiting for its answer."""


@functools.cache
def connection_class(device_type: str) -> type[Any]:
    """netmiko's class for `device_type`, made to notice a closed channel at once.

    netmiko polls a closed channel until its read timeout runs out (10 s or more per read); a
    device that drops the session mid-push should be reported as such, straight away.
    """
    try:
        base: type[Any] = CLASS_MAPPER[device_type]
    except KeyError:
        raise DeviceError(f"netmiko has no device type {device_type!r}") from None

    def read_channel(self: Any) -> str:
        output: str = base.read_channel(self)
        channel = getattr(self, "remote_conn", None)
        if not output and channel is not None and getattr(channel, "closed", False):
            raise ChannelClosedError("the device closed the connection")
        return output

    return type(f"Checked{base.__name__}", (base,), {"read_channel": read_channel})


def _connect(
    device: Device,
    device_type: str,
    login: Login,
    known_hosts: Path,
    timeout_s: int,
    log_file: _MaskedLogFile | None,
    masker: Masker,
) -> Any:
    """netmiko's connection, refusing any host key not in known_hosts."""
    where = _where(device)
    try:
        return connection_class(device_type)(
            device_type=device_type,
            host=device.host,
            port=device.port,
            username=login.username,
            password=login.password,
            secret=login.secret or "",
            use_keys=login.key_file is not None,
            key_file=str(login.key_file) if login.key_file else None,
            allow_agent=False,
            ssh_strict=True,
            system_host_keys=False,
            alt_host_keys=True,
            alt_key_file=str(known_hosts),
            conn_timeout=timeout_s,
            auth_timeout=timeout_s,
            banner_timeout=timeout_s,
            session_log=SessionLog(buffered_io=log_file) if log_file is not None else None,
        )
    except NetmikoAuthenticationException:
        raise DeviceError(f"{where}: authentication failed for user {login.username}") from None
    except Exception as error:
        cause = error if error.__context__ is None else error.__context__
        if isinstance(cause, paramiko.BadHostKeyException):
            raise DeviceError(
                f"{where}: host key changed while connecting: it offers"
                f" {fingerprint(cause.key)}, {known_hosts} has {fingerprint(cause.expected_key)}"
            ) from None
        raise DeviceError(f"{where}: SSH session failed: {describe(cause, masker)}") from None


class ChannelLost(DeviceError):
    """The connection went away while cgw waited for an answer; `output` is what had arrived."""

    def __init__(self, message: str, output: str = "") -> None:
        super().__init__(message)
        self.output = output


class NoAnswer(DeviceError):
    """The device did not finish answering in time; `output` is what had arrived."""

    def __init__(self, message: str, output: str = "") -> None:
        super().__init__(message)
        self.output = output


class Channel:
    """The raw CLI channel of an open session, for a transaction that must pace itself.

    Every deployer writes lines and reads until its device's prompt (or a shell's end mark)
    through this one class: it waits on the SSH channel itself (no fixed sleep: `select` on the
    paramiko channel wakes as soon as bytes arrive), notices a dropped connection at once, and
    raises DeviceError with one line naming what was being sent — described by the caller,
    masked, never the data. netmiko's `read_channel` does the reading, so its session log (masked,
    see `_MaskedLogFile`) still sees every byte.
    """

    def __init__(self, session: Session) -> None:
        self.session = session
        self.connection: Any = session.connection
        self.device = session.device

    @property
    def base_prompt(self) -> str:
        """The prompt netmiko found when the session opened (the device's hostname part)."""
        return str(self.connection.base_prompt)

    def alive(self) -> bool:
        """Whether the SSH channel can still carry an answer."""
        channel = getattr(self.connection, "remote_conn", None)
        if channel is None or getattr(channel, "closed", True):
            return False
        transport = channel.get_transport() if hasattr(channel, "get_transport") else None
        if transport is None or not transport.is_active():
            return False
        return not bool(getattr(channel, "eof_received", False))

    def lost(self, what: str, output: str = "") -> ChannelLost:
        message = f"device {self.device.name}: connection lost while sending {what}"
        return ChannelLost(message, output)

    def write(self, text: str, what: str) -> None:
        """Send `text` as it is; `what` says in error messages what it was (already masked)."""
        try:
            self.connection.write_channel(text)
        except Exception:
            raise self.lost(what) from None

    def drain(self) -> str:
        """Whatever the device printed that nobody read yet (it belongs to no line of ours)."""
        try:
            return str(self.connection.read_channel())
        except Exception:
            return ""

    def read_until(self, done: Callable[[str], bool], what: str, timeout_s: float) -> str:
        """Read until `done(output)` holds; a closed channel or the timeout raises DeviceError."""
        output = ""
        deadline = time.monotonic() + timeout_s
        channel = getattr(self.connection, "remote_conn", None)
        while True:
            try:
                chunk = str(self.connection.read_channel())
            except Exception:
                raise self.lost(what, output) from None
            if chunk:
                output += chunk
                if done(output):
                    return output
                continue
            if not self.alive():
                raise self.lost(what, output)
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise NoAnswer(
                    f"device {self.device.name}: no answer within {timeout_s:g} s after {what}",
                    output,
                )
            _wait_readable(channel, min(remaining, MAX_WAIT_S))

    def exchange(self, text: str, done: Callable[[str], bool], what: str, timeout_s: float) -> str:
        """Write `text`, then read until `done(output)`."""
        self.write(text, what)
        return self.read_until(done, what, timeout_s)


# The longest single wait for the channel to become readable: liveness is checked between waits.
MAX_WAIT_S = 0.25


def _wait_readable(channel: Any, timeout_s: float) -> None:
    """Sleep until the paramiko channel has bytes (or is closed), at most `timeout_s`."""
    try:
        if channel is not None and channel.recv_ready():
            return
        select.select([channel], [], [], timeout_s)
    except (OSError, ValueError, TypeError):
        time.sleep(min(timeout_s, 0.005))
