"""cgw.session against a real OpenSSH sshd on 127.0.0.1: host keys, errors, masked logs."""

from __future__ import annotations

import logging
import socket
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest
from sshd_lab import SshdLab, free_port, generate_key, running_sshd

from cgw.errors import DeviceError
from cgw.model import Credentials, Device, LocalSettings, VpnSelector
from cgw.secrets import Masker, MaskingFilter
from cgw.session import (
    KNOWN_HOSTS_ENV,
    Login,
    _connect,
    _MaskedLogFile,
    check_host_key,
    default_known_hosts,
    known_hosts_name,
    open_session,
    resolve_login,
)

PSK = "Tunnel1.Psk_value42"
PASSWORD = "Pa55w0rd.lab"
PASSWORD_ENV = "CGW_TEST_SSH_PASSWORD"


def make_device(port: int, **credentials: str) -> Device:
    return Device(
        name="lab1",
        host="127.0.0.1",
        platform="strongswan",
        vpn=VpnSelector(vpn_id="vpn-0abc1234"),
        local=LocalSettings(wan_interface="eth0"),
        port=port,
        credentials=Credentials(**credentials),  # type: ignore[arg-type]
        timeout_s=10,
    )


def lab_device(lab: SshdLab, **extra: str) -> Device:
    return make_device(lab.port, username=lab.user, key_file=str(lab.client_key), **extra)


def ssh_fingerprint(public_key: Path) -> str:
    """OpenSSH's own SHA256 fingerprint of a public key file (the independent oracle)."""
    listed = subprocess.run(
        ["ssh-keygen", "-l", "-f", str(public_key)], check=True, capture_output=True, text=True
    )
    return listed.stdout.split()[1]


@pytest.fixture(scope="module")
def sshd(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SshdLab]:
    with running_sshd(tmp_path_factory.mktemp("sshd")) as lab:
        yield lab


@pytest.fixture
def trusted(sshd: SshdLab, tmp_path: Path) -> Path:
    """A known_hosts file holding the lab's host key, as OpenSSH's ssh-keyscan reports it."""
    scanned = subprocess.run(
        ["ssh-keyscan", "-t", "ed25519", "-p", str(sshd.port), "127.0.0.1"],
        check=True,
        capture_output=True,
        text=True,
    )
    known_hosts = tmp_path / "known_hosts"
    known_hosts.write_text(scanned.stdout)
    return known_hosts


# --- host keys -------------------------------------------------------------------------------


def test_unknown_host_key_is_refused_with_how_to_accept(sshd: SshdLab, tmp_path: Path) -> None:
    known_hosts = tmp_path / "known_hosts"
    with pytest.raises(DeviceError) as refused:
        open_session(lab_device(sshd), "linux", known_hosts=known_hosts)
    message = str(refused.value)
    assert "\n" not in message
    assert f"[127.0.0.1]:{sshd.port}" in message
    assert "--accept-new-host-key" in message
    assert ssh_fingerprint(Path(f"{sshd.host_key}.pub")) in message
    assert not known_hosts.exists()


def test_accept_new_records_the_key_and_later_sessions_check_it(
    sshd: SshdLab, tmp_path: Path
) -> None:
    known_hosts = tmp_path / "cgw" / "known_hosts"
    device = lab_device(sshd)
    with open_session(device, "linux", known_hosts=known_hosts, accept_new_host_key=True) as s:
        assert "first" in s.send_command("echo first")
    recorded = known_hosts.read_text().split()
    host_public = Path(f"{sshd.host_key}.pub").read_text().split()
    assert recorded == [f"[127.0.0.1]:{sshd.port}", host_public[0], host_public[1]]
    assert known_hosts.stat().st_mode & 0o077 == 0

    with open_session(device, "linux", known_hosts=known_hosts) as session:
        assert session.device is device
        assert "second" in session.send_command("echo second")
    assert len(known_hosts.read_text().splitlines()) == 1


def test_hashed_openssh_entries_are_understood(sshd: SshdLab, trusted: Path) -> None:
    subprocess.run(["ssh-keygen", "-q", "-H", "-f", str(trusted)], check=True)
    assert trusted.read_text().startswith("|1|")
    check_host_key(lab_device(sshd), trusted, timeout_s=10)


def test_changed_host_key_is_refused_and_nothing_is_sent(tmp_path: Path) -> None:
    known_hosts = tmp_path / "known_hosts"
    marker = tmp_path / "logged-in"
    with running_sshd(tmp_path / "sshd") as lab:
        device = lab_device(lab)
        open_session(device, "linux", known_hosts=known_hosts, accept_new_host_key=True).close()
        old = ssh_fingerprint(Path(f"{lab.host_key}.pub"))
        # From now on any login that gets as far as a shell leaves the marker file behind.
        lab.authorize(f'command="touch {marker}; exec bash --norc -i"')
        lab.new_host_key()
        lab.restart()
        new = ssh_fingerprint(Path(f"{lab.host_key}.pub"))
        log_before = len(lab.log_text())

        with pytest.raises(DeviceError) as refused:
            open_session(device, "linux", known_hosts=known_hosts, accept_new_host_key=True)
        message = str(refused.value)
        assert "\n" not in message
        assert f"[127.0.0.1]:{lab.port}" in message
        assert old in message and new in message
        assert not marker.exists()
        assert "Accepted publickey" not in lab.log_text()[log_before:]

        # The marker does prove a login: with the new key trusted, a session leaves it.
        fresh = tmp_path / "fresh_known_hosts"
        open_session(device, "linux", known_hosts=fresh, accept_new_host_key=True).close()
        assert marker.exists()


def test_netmiko_itself_refuses_keys_not_in_known_hosts(sshd: SshdLab, tmp_path: Path) -> None:
    """The second line of defence, for a key swapped between the check and the login."""
    device = lab_device(sshd)
    login = resolve_login(device)
    impostor = generate_key(tmp_path / "impostor")
    impostor_public = Path(f"{impostor}.pub").read_text().split()
    wrong = tmp_path / "wrong_known_hosts"
    wrong.write_text(f"[127.0.0.1]:{sshd.port} {impostor_public[0]} {impostor_public[1]}\n")
    log_before = len(sshd.log_text())
    with pytest.raises(DeviceError) as changed:
        _connect(device, "linux", login, wrong, 10, None, Masker())
    assert "host key changed while connecting" in str(changed.value)
    assert ssh_fingerprint(Path(f"{impostor}.pub")) in str(changed.value)
    with pytest.raises(DeviceError, match="not found in known_hosts"):
        _connect(device, "linux", login, tmp_path / "empty_known_hosts", 10, None, Masker())
    assert "Accepted publickey" not in sshd.log_text()[log_before:]


def test_known_hosts_name_follows_openssh() -> None:
    assert known_hosts_name("rtr1.example.net", 22) == "rtr1.example.net"
    assert known_hosts_name("198.51.100.7", 2222) == "[198.51.100.7]:2222"


def test_default_known_hosts_is_cgws_own_file(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.delenv(KNOWN_HOSTS_ENV, raising=False)
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path))
    assert default_known_hosts() == tmp_path / "cgw" / "known_hosts"
    monkeypatch.setenv(KNOWN_HOSTS_ENV, str(tmp_path / "elsewhere"))
    assert default_known_hosts() == tmp_path / "elsewhere"


# --- connection failures ---------------------------------------------------------------------


def test_connection_refused_is_one_line(tmp_path: Path) -> None:
    key = generate_key(tmp_path / "id")
    device = make_device(free_port(), username="ops", key_file=str(key))
    with pytest.raises(
        DeviceError, match=r"^device lab1 \(127\.0\.0\.1:\d+\): connection refused$"
    ):
        open_session(device, "linux", known_hosts=tmp_path / "kh", accept_new_host_key=True)


def test_silent_server_times_out_with_one_line(tmp_path: Path) -> None:
    key = generate_key(tmp_path / "id")
    with socket.socket() as silent:  # accepts TCP (kernel backlog) but never says a word
        silent.bind(("127.0.0.1", 0))
        silent.listen(1)
        device = make_device(silent.getsockname()[1], username="ops", key_file=str(key))
        with pytest.raises(DeviceError) as failed:
            open_session(device, "linux", known_hosts=tmp_path / "kh", timeout_s=1)
    message = str(failed.value)
    assert message.startswith("device lab1 (127.0.0.1:") and "within 1 s" in message
    assert "\n" not in message


def test_authentication_failure_is_one_line(sshd: SshdLab, trusted: Path, tmp_path: Path) -> None:
    stranger = generate_key(tmp_path / "stranger")
    device = make_device(sshd.port, username=sshd.user, key_file=str(stranger))
    with pytest.raises(DeviceError) as failed:
        open_session(device, "linux", known_hosts=trusted)
    assert str(failed.value) == (
        f"device lab1 (127.0.0.1:{sshd.port}): authentication failed for user {sshd.user}"
    )


# --- credentials -----------------------------------------------------------------------------


def test_missing_env_var_names_device_and_variable(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.delenv("CGW_TEST_NO_SUCH_PASSWORD", raising=False)
    device = make_device(22, username="ops", password_env="CGW_TEST_NO_SUCH_PASSWORD")
    with pytest.raises(DeviceError) as missing:
        open_session(device, "cisco_xe", known_hosts=tmp_path / "kh")
    assert "lab1" in str(missing.value)
    assert "CGW_TEST_NO_SUCH_PASSWORD" in str(missing.value)


def test_username_and_secret_come_from_env(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CGW_TEST_USER", "netops")
    monkeypatch.setenv(PASSWORD_ENV, PASSWORD)
    monkeypatch.setenv("CGW_TEST_ENABLE", "En4ble.secret")
    device = make_device(
        22, username_env="CGW_TEST_USER", password_env=PASSWORD_ENV, secret_env="CGW_TEST_ENABLE"
    )
    login = resolve_login(device)
    assert (login.username, login.password, login.secret) == ("netops", PASSWORD, "En4ble.secret")
    assert PASSWORD not in repr(login) and "En4ble" not in repr(login)


def test_credentials_without_any_authentication_are_refused() -> None:
    with pytest.raises(DeviceError, match="password_env or key_file"):
        resolve_login(make_device(22, username="ops"))
    assert repr(Login("ops", password=PASSWORD)).count(PASSWORD) == 0


# --- masking ---------------------------------------------------------------------------------


def test_session_log_masks_psk_and_password(
    sshd: SshdLab, trusted: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(PASSWORD_ENV, PASSWORD)
    session_log = tmp_path / "lab1.log"
    device = lab_device(sshd, password_env=PASSWORD_ENV)
    with open_session(
        device,
        "linux",
        known_hosts=trusted,
        session_log=session_log,
        masker=Masker({"psk:tunnel1": PSK}),
    ) as session:
        output = session.send_command(f"echo psk={PSK} password={PASSWORD}")
    assert f"psk={PSK} password={PASSWORD}" in output  # callers get the real output
    logged = session_log.read_text()
    assert "psk=<psk:tunnel1> password=<password:lab1>" in logged
    assert PSK not in logged and PASSWORD not in logged
    assert session_log.stat().st_mode & 0o077 == 0


def test_library_debug_logs_never_carry_a_secret(
    sshd: SshdLab, trusted: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    for library in ("netmiko", "paramiko"):  # whatever an earlier in-process main() set
        caplog.set_level(logging.DEBUG, logger=library)
    with open_session(
        lab_device(sshd), "linux", known_hosts=trusted, masker=Masker({"psk:tunnel1": PSK})
    ) as session:
        session.send_config_lines([f"echo {PSK} > /dev/null"])
        session.send_command(f"echo {PSK}")
    loggers = {record.name.split(".")[0] for record in caplog.records}
    assert {"netmiko", "paramiko"} <= loggers
    assert any("<psk:tunnel1>" in record.getMessage() for record in caplog.records)
    assert PSK not in caplog.text
    for name in ("netmiko", "paramiko", "paramiko.transport"):
        assert not any(isinstance(f, MaskingFilter) for f in logging.getLogger(name).filters)


def test_masked_log_file_catches_a_secret_split_across_reads(tmp_path: Path) -> None:
    path = tmp_path / "split.log"
    log_file = _MaskedLogFile(path, Masker({"psk:tunnel1": PSK}))
    for chunk in (f"key {PSK[:5]}", f"{PSK[5:]} end\nnext ", PSK[:3], PSK[3:]):
        log_file.write(chunk.encode())
    log_file.close()
    assert path.read_text() == "key <psk:tunnel1> end\nnext <psk:tunnel1>"
