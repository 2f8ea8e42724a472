"""The simulated branch routers, driven over real SSH sockets by netmiko itself."""

from __future__ import annotations

import base64
import hashlib
import re
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import paramiko
import pytest
from netmiko import ConnectHandler
from netmiko.exceptions import (
    NetmikoAuthenticationException,
    NetmikoTimeoutException,
    ReadTimeout,
)
from ntc_templates.parse import parse_output

from cgw.lab.routers import (
    BgpVerdict,
    OracleVerdict,
    RouterKind,
    SimRouter,
    TunnelVerdict,
    start_router,
)

PASSWORD = "lab-password"
AWS_T1 = "198.51.100.11"
AWS_T2 = "198.51.100.12"
AWS_BGP_T1 = "169.254.101.1"


class SeenPeersOracle:
    """Test oracle: a peer whose address appears in the running config is up, except `down`."""

    def __init__(self, down: tuple[str, ...] = ()) -> None:
        self.down = set(down)
        self.seen: list[str] = []

    def evaluate(self, kind: RouterKind, running_config: str) -> OracleVerdict:
        self.seen.append(running_config)
        tunnels = {
            peer: TunnelVerdict(ike_up=True, ipsec_up=True)
            for peer in (AWS_T1, AWS_T2)
            if peer in running_config and peer not in self.down
        }
        bgp = {}
        if AWS_BGP_T1 in running_config and AWS_T1 in tunnels:
            bgp[AWS_BGP_T1] = BgpVerdict(True, ("10.100.0.0/16",))
        return OracleVerdict(tunnels=tunnels, bgp=bgp)


@pytest.fixture
def router_factory(tmp_path: Path) -> Iterator[object]:
    started: list[SimRouter] = []

    def start(kind: RouterKind, **kwargs: object) -> SimRouter:
        options: dict[str, object] = {
            "hostname": {"cisco_xe": "branch-01", "juniper_junos": "branch-02"}.get(
                kind, "branch-03"
            ),
            "username": "root" if kind == "linux" else "admin",
            "password": PASSWORD,
            "host_key_path": tmp_path / f"{kind}-{len(started)}.key",
            "oracle": SeenPeersOracle(),
        }
        options.update(kwargs)
        router = start_router(kind, **options)  # type: ignore[arg-type]
        started.append(router)
        return router

    yield start
    for router in started:
        router.stop()


def connect(router: SimRouter, **kwargs: object) -> ConnectHandler:
    options: dict[str, object] = {
        "device_type": router.kind,
        "host": "127.0.0.1",
        "port": router.port,
        "username": "root" if router.kind == "linux" else "admin",
        "password": PASSWORD,
        "secret": PASSWORD,
        "allow_agent": False,
        "use_keys": False,
        "conn_timeout": 5,
    }
    options.update(kwargs)
    return ConnectHandler(**options)


IOS_VPN_CONFIG = [
    "crypto ikev2 proposal aws-vpn-0abc-t1",
    " encryption aes-gcm-256",
    " prf sha256",
    " group 20",
    "crypto ikev2 policy aws-vpn-0abc-t1",
    " proposal aws-vpn-0abc-t1",
    "crypto ikev2 keyring aws-vpn-0abc-t1",
    " peer aws-t1",
    f"  address {AWS_T1}",
    "  pre-shared-key Sup3rSecretKey_1",
    "crypto ikev2 profile aws-vpn-0abc-t1",
    f" match identity remote address {AWS_T1} 255.255.255.255",
    " identity local address 203.0.113.11",
    " authentication remote pre-share",
    " authentication local pre-share",
    " keyring local aws-vpn-0abc-t1",
    " lifetime 28800",
    " dpd 10 3 periodic",
    "crypto ipsec transform-set aws-vpn-0abc-t1 esp-gcm 256",
    " mode tunnel",
    "crypto ipsec profile aws-vpn-0abc-t1",
    " set transform-set aws-vpn-0abc-t1",
    " set pfs group20",
    " set security-association lifetime seconds 3600",
    " set ikev2-profile aws-vpn-0abc-t1",
    "crypto ipsec df-bit clear",
    "crypto ipsec fragmentation before-encryption",
    "crypto ipsec security-association replay window-size 128",
    "interface Tunnel1",
    " ip address 169.254.101.2 255.255.255.252",
    " ip mtu 1400",
    " ip tcp adjust-mss 1379",
    " tunnel source GigabitEthernet1",
    " tunnel mode ipsec ipv4",
    f" tunnel destination {AWS_T1}",
    " tunnel protection ipsec profile aws-vpn-0abc-t1",
    " no shutdown",
    "router bgp 65011",
    f" neighbor {AWS_BGP_T1} remote-as 64512",
    f" neighbor {AWS_BGP_T1} timers 10 30 30",
    " address-family ipv4 unicast",
    f"  neighbor {AWS_BGP_T1} activate",
    "  network 10.11.0.0 mask 255.255.0.0",
    " exit-address-family",
    "ip route 10.11.0.0 255.255.0.0 Null0",
]


def test_ios_config_round_trip_in_canonical_form(router_factory) -> None:  # type: ignore[no-untyped-def]
    router = router_factory("cisco_xe")
    with connect(router) as conn:
        conn.enable()
        assert conn.find_prompt() == "branch-01#"
        output = conn.send_config_set(IOS_VPN_CONFIG)
        assert "Invalid input" not in output
        running = conn.send_command("show running-config")
        tunnel = conn.send_command("show running-config | section interface Tunnel1")
        keyring = conn.send_command("show running-config | section crypto ikev2 keyring")
    assert "Current configuration :" in running and running.rstrip().endswith("end")
    assert tunnel.splitlines() == [
        "interface Tunnel1",
        " ip address 169.254.101.2 255.255.255.252",
        " ip mtu 1400",
        " ip tcp adjust-mss 1379",
        " tunnel source GigabitEthernet1",
        " tunnel mode ipsec ipv4",
        f" tunnel destination {AWS_T1}",
        " tunnel protection ipsec profile aws-vpn-0abc-t1",
    ]
    assert keyring.splitlines() == [
        "crypto ikev2 keyring aws-vpn-0abc-t1",
        " peer aws-t1",
        f"  address {AWS_T1}",
        "  pre-shared-key Sup3rSecretKey_1",
        " !",
    ]
    bgp = running[running.index("router bgp") :].split("\n!")[0].splitlines()
    assert bgp == [
        "router bgp 65011",
        " bgp log-neighbor-changes",
        f" neighbor {AWS_BGP_T1} remote-as 64512",
        f" neighbor {AWS_BGP_T1} timers 10 30 30",
        " !",
        " address-family ipv4",
        "  network 10.11.0.0 mask 255.255.0.0",
        f"  neighbor {AWS_BGP_T1} activate",
        " exit-address-family",
    ]
    # sections appear in IOS order regardless of entry order
    assert running.index("crypto ikev2 proposal") < running.index("crypto ipsec profile")
    assert running.index("interface GigabitEthernet1") < running.index("interface Tunnel1")


def test_ios_replaces_settings_and_honours_no_forms(router_factory) -> None:  # type: ignore[no-untyped-def]
    router = router_factory("cisco_xe")
    with connect(router) as conn:
        conn.enable()
        conn.send_config_set(IOS_VPN_CONFIG)
        conn.send_config_set(
            [
                "interface Tunnel1",
                " ip tcp adjust-mss 1360",
                " no ip mtu",
                "no crypto ikev2 policy aws-vpn-0abc-t1",
                "router bgp 65011",
                f" no neighbor {AWS_BGP_T1}",
            ]
        )
        running = conn.send_command("show running-config")
        refused = conn.send_config_set(["router bgp 65099"])
    assert " ip tcp adjust-mss 1360" in running and "adjust-mss 1379" not in running
    assert "ip mtu" not in running
    assert "crypto ikev2 policy" not in running
    assert AWS_BGP_T1 not in running
    assert "% BGP is already running; AS is 65011" in refused


def test_invalid_input_answers_like_each_platform(router_factory) -> None:  # type: ignore[no-untyped-def]
    ios = router_factory("cisco_xe")
    with connect(ios) as conn:
        conn.enable()
        output = conn.send_config_set(["crypto ikev2 frobnicate x"])
        assert "% Invalid input detected at '^' marker." in output
        marker_line = next(line for line in output.splitlines() if line.strip() == "^")
        assert marker_line.index("^") == len("branch-01(config)#crypto ikev2 ")
        assert "% Invalid input" in conn.send_command("show crypto frobnicate")
    junos = router_factory("juniper_junos")
    with connect(junos) as conn:
        output = conn.send_config_set(["set security ike frobnicate x"], exit_config_mode=False)
        assert "syntax error." in output
        assert "unknown command." in conn.send_command("frobnicate", expect_string=r"#")
    linux = router_factory("linux")
    with connect(linux) as conn:
        assert conn.send_command("frobnicate --now") == "-bash: frobnicate: command not found"
        assert conn.send_command("echo $?") == "127"


def test_ios_revert_timer_rolls_back_unless_confirmed(router_factory) -> None:  # type: ignore[no-untyped-def]
    router = router_factory("cisco_xe")
    with connect(router) as conn:
        conn.enable()
        conn.send_config_set(["archive", " path bootflash:cgw-archive", " maximum 5"])
        before = router.running_config()
        conn.send_config_set(
            ["interface Tunnel9", " ip address 169.254.9.2 255.255.255.252"],
            config_mode_command="configure terminal revert timer 5",
        )
        assert "interface Tunnel9" in router.running_config()
        assert "bootflash:cgw-archive-1 <- Most Recent" in conn.send_command("show archive")
        router.clock.advance(4 * 60)
        assert "interface Tunnel9" in router.running_config()
        router.clock.advance(61)
        assert router.running_config() == before
        assert "interface Tunnel9" not in conn.send_command("show running-config")
        # confirmed in time: the change stays
        conn.send_config_set(
            ["interface Tunnel8", " ip address 169.254.8.2 255.255.255.252"],
            config_mode_command="configure terminal revert timer 5",
        )
        conn.send_command("configure confirm")
        router.clock.advance(600)
        assert "interface Tunnel8" in conn.send_command("show running-config")


def test_ios_configure_replace_restores_saved_config_exactly(router_factory) -> None:  # type: ignore[no-untyped-def]
    router = router_factory("cisco_xe")
    with connect(router) as conn:
        conn.enable()
        conn.send_config_set(IOS_VPN_CONFIG[:8])
        saved = conn.send_command("show running-config")
        copied = conn.send_command(
            "copy running-config bootflash:cgw-backup.cfg", expect_string=r"\?"
        )
        assert "Destination filename [cgw-backup.cfg]?" in copied
        assert "bytes copied" in conn.send_command("\n", expect_string=r"#")
        conn.send_config_set(IOS_VPN_CONFIG[8:])
        assert conn.send_command("show running-config") != saved
        output = conn.send_command("configure replace bootflash:cgw-backup.cfg force")
        assert "Rollback Done" in output
        assert conn.send_command("show running-config") == saved
        missing = conn.send_command("configure replace bootflash:nope.cfg force")
        assert "%Error opening bootflash:nope.cfg" in missing
        assert "[OK]" in conn.save_config()


def test_junos_commit_confirmed_rolls_back_unless_confirmed(router_factory) -> None:  # type: ignore[no-untyped-def]
    router = router_factory("juniper_junos")
    change = [
        "set interfaces st0 unit 1 family inet address 169.254.101.2/30",
        "set protocols bgp group aws-vpn-0abc type external",
        f"set protocols bgp group aws-vpn-0abc neighbor {AWS_BGP_T1} peer-as 64512",
    ]
    with connect(router) as conn:
        before = conn.send_command("show configuration | display set")
        conn.send_config_set(
            change, config_mode_command="configure private", exit_config_mode=False
        )
        compare = conn.send_command("show | compare", expect_string=r"#")
        assert "[edit interfaces]" in compare and "+   st0 {" in compare
        assert "configuration check succeeds" in conn.commit(check=True)
        committed = conn.commit(confirm=True, confirm_delay=3)
        assert "commit confirmed will be automatically rolled back in 3 minutes" in committed
        conn.exit_config_mode()
        after = conn.send_command("show configuration | display set")
        assert "set interfaces st0 unit 1 family inet address 169.254.101.2/30" in after
        router.clock.advance(3 * 60 + 1)
        assert conn.send_command("show configuration | display set") == before
        # confirmed by a second commit within the window: it stays
        conn.send_config_set(
            change, config_mode_command="configure private", exit_config_mode=False
        )
        conn.commit(confirm=True, confirm_delay=3)
        conn.commit()
        router.clock.advance(600)
        conn.exit_config_mode()
        assert "st0 unit 1" in conn.send_command("show configuration | display set")
        # rollback 0 = the confirmed change, 1 = its commit confirmed, 2 = the automatic rollback
        rolled = conn.send_config_set(["rollback 2"], exit_config_mode=False)
        assert "load complete" in rolled
        assert "-   st0 {" in conn.send_command("show | compare", expect_string=r"#")


def test_junos_commit_check_reports_missing_references(router_factory) -> None:  # type: ignore[no-untyped-def]
    router = router_factory("juniper_junos")
    with connect(router) as conn:
        conn.send_config_set(
            [
                "set security ike gateway gw-t1 address 198.51.100.11",
                "set security ike gateway gw-t1 ike-policy missing-policy",
                "set security ike gateway gw-t1 external-interface ge-0/0/0.0",
            ],
            exit_config_mode=False,
        )
        output = conn.send_command("commit check", expect_string=r"#")
    assert "Referenced IKE policy is not defined" in output
    assert "error: configuration check-out failed" in output


def test_linux_heredoc_upload_and_swanctl_load(router_factory) -> None:  # type: ignore[no-untyped-def]
    router = router_factory("linux")
    swanctl_conf = (
        "connections {\n"
        "  aws-vpn-0abc-t1 {\n"
        "    version = 2\n"
        "    local_addrs = 203.0.113.13\n"
        f"    remote_addrs = {AWS_T1}\n"
        "    proposals = aes256-sha256-modp2048\n"
        "    children { aws-vpn-0abc-t1 { esp_proposals = aes256-sha256-modp2048 } }\n"
        "  }\n"
        "}\n"
        'secrets { ike-aws-vpn-0abc-t1 { secret = "Sup3rSecretKey_1" } }\n'
    )
    encoded = base64.b64encode(swanctl_conf.encode()).decode()
    path = "/etc/swanctl/conf.d/aws-vpn-0abc.conf"
    with connect(router) as conn:
        upload = [
            f"base64 -d > {path}.tmp <<'EOF'",
            *[encoded[i : i + 76] for i in range(0, len(encoded), 76)],
            "EOF",
        ]
        conn.send_config_set(upload, exit_config_mode=False, terminator=r"[#>]")
        conn.send_command(f"mv -f {path}.tmp {path} && chmod 600 {path}")
        assert conn.send_command(f"test -f {path}.tmp; echo $?") == "1"
        digest = conn.send_command(f"sha256sum {path}").split()[0]
        assert digest == hashlib.sha256(swanctl_conf.encode()).hexdigest()
        loaded = conn.send_command("swanctl --load-all")
        sas = conn.send_command("swanctl --list-sas")
        conns = conn.send_command("swanctl --list-conns")
    assert "loaded connection 'aws-vpn-0abc-t1'" in loaded
    assert "successfully loaded 1 connections, 0 unloaded" in loaded
    assert "aws-vpn-0abc-t1: #1, ESTABLISHED, IKEv2" in sas
    assert "INSTALLED, TUNNEL, ESP:AES_CBC-256/HMAC_SHA2_256_128/MODP_2048" in sas
    assert f"remote: {AWS_T1}" in conns


def test_show_outputs_follow_state_and_parse_with_ntc_templates(router_factory) -> None:  # type: ignore[no-untyped-def]
    oracle = SeenPeersOracle()
    router = router_factory("cisco_xe", oracle=oracle)
    with connect(router) as conn:
        conn.enable()
        assert "READY" not in conn.send_command("show crypto ikev2 sa")
        conn.send_config_set(IOS_VPN_CONFIG)
        ikev2 = conn.send_command("show crypto ikev2 sa")
        bgp = conn.send_command("show ip bgp summary")
        brief = conn.send_command("show ip interface brief")
        ipsec = conn.send_command("show crypto ipsec sa")
        oracle.down.add(AWS_T1)
        brief_down = conn.send_command("show ip interface brief")
    assert f"{AWS_T1}/500" in ikev2 and "READY" in ikev2 and "AES-GCM, keysize: 256" in ikev2
    assert "Status: ACTIVE(ACTIVE)" in ipsec
    neighbors = parse_output(platform="cisco_ios", command="show ip bgp summary", data=bgp)
    assert neighbors[0]["bgp_neighbor"] == AWS_BGP_T1
    assert neighbors[0]["state_or_prefixes_received"] == "1"
    rows = {
        r["interface"]: r
        for r in parse_output(platform="cisco_ios", command="show ip interface brief", data=brief)
    }
    assert rows["Tunnel1"]["proto"] == "up" and rows["Tunnel1"]["ip_address"] == "169.254.101.2"
    rows_down = parse_output(
        platform="cisco_ios", command="show ip interface brief", data=brief_down
    )
    assert next(r for r in rows_down if r["interface"] == "Tunnel1")["proto"] == "down"
    assert oracle.seen and "interface Tunnel1" in oracle.seen[-1]


def test_junos_shows_follow_state(router_factory) -> None:  # type: ignore[no-untyped-def]
    router = router_factory("juniper_junos")
    config = [
        "set interfaces st0 unit 1 family inet address 169.254.101.2/30",
        "set security ike proposal p1 authentication-method pre-shared-keys",
        "set security ike policy pol1 proposals p1",
        'set security ike policy pol1 pre-shared-key ascii-text "Sup3rSecretKey_1"',
        f"set security ike gateway gw1 address {AWS_T1}",
        "set security ike gateway gw1 ike-policy pol1",
        "set security ike gateway gw1 external-interface ge-0/0/0.0",
        "set security ike gateway gw1 version v2-only",
        "set security ipsec proposal ip1 encryption-algorithm aes-256-cbc",
        "set security ipsec policy ipol1 proposals ip1",
        "set security ipsec vpn vpn1 bind-interface st0.1",
        "set security ipsec vpn vpn1 ike gateway gw1",
        "set security ipsec vpn vpn1 ike ipsec-policy ipol1",
        "set routing-options autonomous-system 65012",
        f"set protocols bgp group aws neighbor {AWS_BGP_T1} peer-as 64512",
    ]
    with connect(router) as conn:
        conn.send_config_set(config, exit_config_mode=False)
        conn.commit()
        conn.exit_config_mode()
        ike = conn.send_command("show security ike security-associations")
        ipsec = conn.send_command("show security ipsec security-associations")
        bgp = conn.send_command("show bgp summary")
        st0 = conn.send_command("show interfaces st0 terse")
    assert "IKEv2" in ike and AWS_T1 in ike and " UP " in ike
    assert "Total active tunnels: 1" in ipsec and "ESP:aes-cbc-256" in ipsec
    # layout of a real SRX (ntc-templates' Junos template expects another release's header)
    assert re.search(
        rf"^{re.escape(AWS_BGP_T1)}\s+64512\s+\d+\s+\d+\s+0\s+0\s+\S+ Establ$", bgp, re.M
    )
    assert "  inet.0: 1/1/1/0" in bgp and "Groups: 1 Peers: 1 Down peers: 0" in bgp
    assert "st0.1                   up    up   inet     169.254.101.2/30" in st0


def test_drop_after_lines_cuts_the_session(router_factory) -> None:  # type: ignore[no-untyped-def]
    router = router_factory("cisco_xe")
    with connect(router) as conn:
        conn.enable()
        conn.config_mode()
        # one session so far: cut it on the 3rd line from now, mid-push
        router.faults.drop_after_lines = router.context.lines_received + 3
        with pytest.raises(ReadTimeout):
            conn.send_config_set(IOS_VPN_CONFIG, read_timeout=2, exit_config_mode=False)
    assert "crypto ikev2 proposal aws-vpn-0abc-t1" in router.running_config()
    assert "crypto ikev2 policy" not in router.running_config()
    router.faults.clear()
    with connect(router) as conn:
        assert conn.send_command("show ip interface brief").startswith("Interface")


def test_rejected_command_and_latency(router_factory) -> None:  # type: ignore[no-untyped-def]
    router = router_factory("cisco_xe")
    router.faults.reject_commands = {"crypto ipsec df-bit clear"}
    with connect(router) as conn:
        conn.enable()
        output = conn.send_config_set(["crypto ipsec df-bit clear", "crypto ipsec df-bit copy"])
        assert output.count("% Invalid input detected") == 1
        assert "crypto ipsec df-bit copy" in router.running_config()
        router.faults.latency = 0.4
        started = time.monotonic()
        conn.send_command("show ip interface brief")
        assert time.monotonic() - started >= 0.4


def test_host_key_pinning_and_rotation(router_factory, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    client_key = paramiko.ECDSAKey.generate(bits=256)
    key_file = tmp_path / "client_key"
    client_key.write_private_key_file(str(key_file))
    router = router_factory("linux", password=None, authorized_keys=[client_key])
    known_hosts = tmp_path / "known_hosts"
    known_hosts.write_text(router.known_hosts_line() + "\n")
    pinned = {
        "use_keys": True,
        "key_file": str(key_file),
        "password": None,
        "ssh_strict": True,
        "system_host_keys": False,
        "alt_host_keys": True,
        "alt_key_file": str(known_hosts),
    }
    with connect(router, **pinned) as conn:
        assert conn.send_command("whoami") == "root"
    with pytest.raises(NetmikoAuthenticationException):
        connect(router, password="wrong", use_keys=False)
    router.rotate_host_key()
    with pytest.raises(NetmikoTimeoutException, match="does not match"):
        connect(router, **pinned)


# --- the registry: vendors found by what their modules declare ------------------------------


def test_every_platform_has_a_simulator_and_every_simulator_an_oracle_parser() -> None:
    from cgw.lab.aws_oracle import all_parsers
    from cgw.lab.routers import all_simulators, simulator_for
    from cgw.platforms import all_platforms

    for name in all_platforms():
        assert name in simulator_for(name).platforms
    assert set(all_simulators()) <= set(all_parsers())


def test_simulators_never_import_the_product_platforms() -> None:
    """The lab is an independent judge: no simulator or oracle module imports cgw.platforms."""
    import ast

    import cgw.lab

    lab = Path(cgw.lab.__file__).parent
    offenders = []
    for path in [*(lab / "routers").glob("*.py"), *(lab / "aws_oracle").glob("*.py")]:
        for node in ast.walk(ast.parse(path.read_text())):
            names = (
                [a.name for a in node.names]
                if isinstance(node, ast.Import)
                else [node.module or ""]
                if isinstance(node, ast.ImportFrom)
                else []
            )
            offenders += [f"{path.name}: {n}" for n in names if n.startswith("cgw.platforms")]
    assert offenders == []


TOY_SIMULATOR = """
from cgw.lab.routers.shell import Reply
from cgw.lab.routers.simulator import Simulator


class ToyState:
    def __init__(self, setup):
        self.setup = setup
        self.config = setup.initial_config or "peer 198.51.100.11\\n"

    def running_config(self):
        return self.config


class ToyShell:
    echo = True

    def __init__(self, state):
        self.state = state

    def greeting(self):
        return ""

    def prompt(self):
        return "toy> "

    def invalid(self, line):
        return Reply("?\\n")

    def handle(self, line):
        if line.strip() == "show peers":
            verdict = self.state.setup.context.verdict(self.state.running_config())
            return Reply("".join(f"{p} {v.ike_up}\\n" for p, v in sorted(verdict.tunnels.items())))
        return self.invalid(line)


def build(setup):
    state = ToyState(setup)
    return state, lambda: ToyShell(state)


SIMULATOR = Simulator(
    kind="toy", platforms=("toy_os",), default_username="admin", wan_interface="wan0", build=build
)
"""

TOY_PARSER = """
from cgw.lab.aws_oracle.router import ConfigParser, RouterConfig, RouterPeer


def parse_toy(text):
    lines = [line.split() for line in text.splitlines()]
    return RouterConfig(peers=[RouterPeer(w[1], "toy") for w in lines if w[:1] == ["peer"]])


PARSER = ConfigParser(kind="toy", parse=parse_toy)
"""


def test_a_new_vendor_is_one_simulator_module_and_one_parser_module(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A toy vendor dropped into both packages is found, started by platform name and parsed."""
    import cgw.lab.aws_oracle as aws_oracle
    import cgw.lab.routers as routers

    for package, text in ((routers, TOY_SIMULATOR), (aws_oracle, TOY_PARSER)):
        folder = tmp_path / package.__name__.rsplit(".", 1)[1]
        folder.mkdir()
        (folder / "toy.py").write_text(text)
        monkeypatch.setattr(package, "__path__", [*package.__path__, str(folder)])
    routers.all_simulators.cache_clear()
    aws_oracle.all_parsers.cache_clear()
    try:
        assert routers.simulator_for("toy_os").kind == "toy"
        parsed = aws_oracle.parse_running_config("toy", "peer 198.51.100.7\n")
        assert [p.address for p in parsed.peers] == ["198.51.100.7"]
        router = start_router(
            "toy_os",
            hostname="toy-01",
            username="admin",
            password=PASSWORD,
            host_key_path=tmp_path / "toy.key",
            oracle=SeenPeersOracle(),
        )
        try:
            assert router.kind == "toy"
            connection = ConnectHandler(
                device_type="generic",
                host="127.0.0.1",
                port=router.port,
                username="admin",
                password=PASSWORD,
                allow_agent=False,
                use_keys=False,
                conn_timeout=5,
            )
            try:
                shown = connection.send_command("show peers", expect_string=r"toy> ")
            finally:
                connection.disconnect()
            assert str(shown).split() == [AWS_T1, "True"]
        finally:
            router.stop()
    finally:
        monkeypatch.undo()
        routers.all_simulators.cache_clear()
        aws_oracle.all_parsers.cache_clear()
        sys.modules.pop("cgw.lab.routers.toy", None)
        sys.modules.pop("cgw.lab.aws_oracle.toy", None)
