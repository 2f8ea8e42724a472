"""A PAN-OS (10.2) firewall CLI: operational and configure modes, the shared candidate, commit,
revert, saved configurations, and the VPN/BGP shows in the real layouts (see the behaviour table
panos_behaviours.md beside this module).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field

from cgw.lab.routers.panosconfig import PanosConfig, validate, words
from cgw.lab.routers.shell import Reply, RouterContext
from cgw.lab.routers.show_output import token
from cgw.lab.routers.simulator import RouterSetup, Simulator

RELEASE = "10.2.4"
MAX_VERSIONS = 50
INVALID = "Invalid syntax.\n"

DEFAULT_PANOS_CONFIG = """\
set deviceconfig system hostname {hostname}
set network interface ethernet ethernet1/1 layer3 ip {outside_ip}/24
set network interface ethernet ethernet1/2 layer3 ip 10.0.0.1/24
set zone untrust network layer3 ethernet1/1
set zone trust network layer3 ethernet1/2
set network virtual-router default interface [ ethernet1/1 ethernet1/2 ]
set network virtual-router default routing-table ip static-route default destination 0.0.0.0/0
set network virtual-router default routing-table ip static-route default interface ethernet1/1
set network virtual-router default routing-table ip static-route default nexthop ip-address {gw}
"""


@dataclass(frozen=True)
class TunnelFacts:
    """One configured IPsec tunnel as the shows need it."""

    tunnel_id: int
    name: str
    gateway: str
    gateway_id: int
    local: str
    peer: str
    version: str  # ikev1 / ikev2
    interface: str
    ike_up: bool
    ipsec_up: bool


@dataclass
class PanosState:
    """One firewall: the running configuration, its committed versions, the shared candidate."""

    context: RouterContext
    versions: list[tuple[PanosConfig, str]] = field(default_factory=list, repr=False)
    candidate: PanosConfig = field(default_factory=PanosConfig, repr=False)
    saved: dict[str, PanosConfig] = field(default_factory=dict, repr=False)
    jobs: int = 0

    @property
    def running(self) -> PanosConfig:
        return self.versions[0][0]

    @property
    def hostname(self) -> str:
        return self.running.value("deviceconfig system hostname") or self.context.hostname

    def load_initial(self, set_lines: str) -> None:
        config = PanosConfig()
        for line in set_lines.splitlines():
            tokens = words(line)
            if tokens[:1] == ["set"]:
                config.set(tokens[1:])
        self.versions = [(config, "initial")]
        self.candidate = config.copy()

    def running_config(self) -> str:
        """`show config running` in set format."""
        return "\n".join(self.running.set_lines()) + "\n"

    def commit(self, description: str) -> None:
        self.versions.insert(0, (self.candidate.copy(), description))
        del self.versions[MAX_VERSIONS:]

    # ------------------------------------------------------------ facts for the shows

    def _interface_address(self, name: str) -> str:
        kind = "tunnel units" if name.startswith("tunnel.") else "ethernet"
        values = self.running.values(f"network interface {kind} {name} ip") or self.running.values(
            f"network interface {kind} {name} layer3 ip"
        )
        return values[0].split("/")[0] if values else "0.0.0.0"

    def tunnels(self) -> list[TunnelFacts]:
        config = self.running
        verdict = self.context.verdict(self.running_config())
        gateways = config.entries("network ike gateway")
        facts = []
        for tunnel_id, name in enumerate(config.entries("network tunnel ipsec"), start=1):
            base = f"network tunnel ipsec {name}"
            gateway = config.value(f"{base} auto-key ike-gateway") or ""
            gbase = f"network ike gateway {gateway}"
            peer = config.value(f"{gbase} peer-address ip") or "0.0.0.0"
            local = config.value(f"{gbase} local-address ip") or self._interface_address(
                config.value(f"{gbase} local-address interface") or "ethernet1/1"
            )
            version = config.value(f"{gbase} protocol version") or "ikev1"
            state = verdict.tunnel(peer)
            facts.append(
                TunnelFacts(
                    tunnel_id=tunnel_id,
                    name=name,
                    gateway=gateway,
                    gateway_id=gateways.index(gateway) + 1 if gateway in gateways else 0,
                    local=local.split("/")[0],
                    peer=peer,
                    version="ikev2" if version.startswith("ikev2") else "ikev1",
                    interface=config.value(f"{base} tunnel-interface") or "",
                    ike_up=state.ike_up,
                    ipsec_up=state.ike_up and state.ipsec_up,
                )
            )
        return facts

    def bgp_peers(self) -> list[tuple[str, str, str, str, str, bool, int]]:
        """(peer, router, group, remote AS, address, established, prefixes) per configured peer."""
        config = self.running
        verdict = self.context.verdict(self.running_config())
        rows = []
        for leaf in config.leaves:
            m = re.fullmatch(
                r"network (?:virtual-router (\S+) protocol|logical-router (\S+) vrf \S+) bgp"
                r" peer-group (\S+) peer (\S+) peer-address ip",
                leaf,
            )
            if m is None:
                continue
            router = m.group(1) or m.group(2)
            address = config.value(leaf) or ""
            remote_as = config.value(leaf.replace("peer-address ip", "peer-as")) or "0"
            bgp = verdict.neighbor(address)
            rows.append(
                (
                    m.group(4),
                    router,
                    m.group(3),
                    remote_as,
                    address,
                    bgp.established,
                    len(bgp.prefixes_received),
                )
            )
        return rows


# ---------------------------------------------------------------- show output


def _when(seed: str, hours: int = 0) -> str:
    minute = int(token(seed, 2), 16) % 60
    return f"Dec.01 {(9 + hours) % 24:02d}:{minute:02d}:17"


def show_ike_sa(tunnels: list[TunnelFacts]) -> str:
    """`show vpn ike-sa` as PAN-OS 9.1-11.x print it (only SAs that are up are listed)."""
    v1 = [t for t in tunnels if t.ike_up and t.version == "ikev1"]
    v2 = [t for t in tunnels if t.ike_up and t.version == "ikev2"]
    out = [
        "",
    ]
    if v1:
        out += [
            "IKEv1 phase-1 SAs",
            f"{'GwID/client IP':<16}{'Peer-Address':<23}{'Gateway Name':<32}Role Mode Algorithm"
            "             Established     Expiration      V  ST Xt Phase2",
            f"{'--------------':<16}{'------------':<23}{'------------':<32}---- ---- ---------"
            "             -----------     ----------      -  -- -- ------",
        ]
        out += [
            f"{t.gateway_id:<16}{t.peer:<23}{t.gateway:<32}Init Main {'PSK/DH14/A256/SHA256':<22}"
            f"{_when(t.peer)} {_when(t.peer, 8)} v1 13 1  1"
            for t in v1
        ]
        out += [
            "",
            f"Show IKEv1 IKE SA: Total {len(tunnels)} gateways found. {len(v1)} ike sa found.",
            "",
        ]
    else:
        out += [
            "There is no IKEv1 phase-1 SA found.",
            "",
            "There is no IKEv1 phase-2 SA found.",
            "",
        ]
    if v2:
        out += [
            "IKEv2 SAs",
            f"{'Gateway ID':<16}{'Peer-Address':<23}{'Gateway Name':<32}Role SN       Algorithm"
            "             Established     Expiration      Xt Child  ST",
            f"{'----------':<16}{'------------':<23}{'------------':<32}---- --       ---------"
            "             -----------     ----------      -- -----  --",
        ]
        out += [
            f"{t.gateway_id:<16}{t.peer:<23}{t.gateway:<32}Init {t.tunnel_id:<8} "
            f"{'PSK/DH20/A256/SHA256':<22}{_when(t.peer)} {_when(t.peer, 8)} 0  1      Established"
            for t in v2
        ]
        out += ["", f"Show IKEv2 SA: Total {len(tunnels)} gateways found. {len(v2)} ike sa found."]
    else:
        out += ["There is no IKEv2 SA found."]
    return "\n".join(out) + "\n"


def show_ipsec_sa(tunnels: list[TunnelFacts]) -> str:
    """`show vpn ipsec-sa`: one row per tunnel with an SA pair."""
    up = [t for t in tunnels if t.ipsec_up]
    out = [
        "",
        f"{'GwID/client IP':<16}{'TnID':<7}{'Peer-Address':<23}{'Tunnel(Gateway)':<64}Algorithm"
        "          SPI(in)  SPI(out) life(Sec/KB)             remain-time(Sec)",
        f"{'--------------':<16}{'----':<7}{'------------':<23}{'---------------':<64}---------"
        "          -------  -------- ------------             ----------------",
    ]
    for t in up:
        spi_in = token(f"{t.peer}-in", 8).upper()
        spi_out = token(f"{t.peer}-out", 8).upper()
        out.append(
            f"{t.gateway_id:<16}{t.tunnel_id:<7}{t.peer:<23}{f'{t.name}({t.gateway})':<64}"
            f"{'ESP/A256/SHA256':<19}{spi_in} {spi_out} {'3600/Unlimited':<25}3412"
        )
    out += ["", f"Show IPsec SA: Total {len(tunnels)} tunnels found. {len(up)} ipsec sa found."]
    return "\n".join(out) + "\n"


def show_flow(tunnels: list[TunnelFacts]) -> str:
    """`show vpn flow`: every configured tunnel, active or inactiv."""
    out = [
        "",
        f"total tunnels configured:{len(tunnels):>38}",
        "filter - type IPSec, state any",
        "",
        f"total IPSec tunnel configured:{len(tunnels):>33}",
        f"total IPSec tunnel shown:{len(tunnels):>38}",
        "",
        f"{'id':<6}{'name':<64}state   monitor {'local-ip':<30}{'peer-ip':<30}tunnel-i/f",
        f"{'--':<6}{'--------------':<64}-----   ------- {'--------':<30}{'-------':<30}----------",
    ]
    for t in tunnels:
        state = "active" if t.ipsec_up else "inactiv"
        out.append(
            f"{t.tunnel_id:<6}{t.name:<64}{state:<8}{'off':<8}{t.local:<30}{t.peer:<30}{t.interface}"
        )
    return "\n".join(out) + "\n"


def show_bgp_peer(peers: list[tuple[str, str, str, str, str, bool, int]]) -> str:
    """`show routing protocol bgp peer`: one block per peer."""
    out = []
    for index, (name, router, group, remote_as, address, up, prefixes) in enumerate(peers, 1):
        out += [
            f"  Peer:                            {name} (id {index})",
            f"    virtual router:                {router}",
            f"    peer group:                    {group} (id 1)",
            f"    Remote AS:                     {remote_as}",
            f"    Peer status:                   {'Established, for 60 secs' if up else 'Active'}",
            f"    Peer address:                  {address}:179",
            f"    Local address:                 0.0.0.0:{33000 + index if up else 0}",
            f"    Prefix counter for send/receive: {1 if up else 0}/{prefixes if up else 0}",
        ]
    return "\n".join(out) + "\n"


# ---------------------------------------------------------------- the CLI


class PanosShell:
    """One SSH session on the firewall."""

    echo = True

    def __init__(self, state: PanosState, username: str) -> None:
        self.state = state
        self.username = username
        self.configure = False
        self.set_format = False

    def greeting(self) -> str:
        return "Last login: Mon Dec  1 09:00:00 2025 from 127.0.0.1\n\n"

    def prompt(self) -> str:
        base = f"{self.username}@{self.state.hostname}"
        return f"\n[edit]\n{base}# " if self.configure else f"{base}> "

    def invalid(self, line: str) -> Reply:
        return Reply(INVALID)

    def handle(self, line: str) -> Reply:
        tokens = words(line)
        if not tokens:
            return Reply()
        with self.state.context.lock:
            if self.configure:
                return self._configuration(tokens, line)
            return self._operational(tokens, line)

    # ------------------------------------------------------------ operational mode

    def _operational(self, tokens: list[str], line: str) -> Reply:
        text = " ".join(tokens)
        if text in ("set cli scripting-mode on", "set cli pager off"):
            return Reply()
        if re.fullmatch(r"set cli terminal (?:width|height) \d+", text):
            return Reply()
        if text == "set cli config-output-format set":
            self.set_format = True
            return Reply()
        if text == "configure":
            self.configure = True
            return Reply("Entering configuration mode\n")
        if text in ("exit", "quit"):
            return Reply(close=True)
        if text == "check pending-changes":
            pending = self.state.candidate.leaves != self.state.running.leaves
            return Reply("yes\n" if pending else "no\n")
        shows: dict[str, Callable[[], str]] = {
            "show system info": self._system_info,
            "show config running": lambda: self._config_text(self.state.running),
            "show vpn ike-sa": lambda: show_ike_sa(self.state.tunnels()),
            "show vpn ipsec-sa": lambda: show_ipsec_sa(self.state.tunnels()),
            "show vpn flow": lambda: show_flow(self.state.tunnels()),
            "show routing protocol bgp peer": lambda: show_bgp_peer(self.state.bgp_peers()),
        }
        producer = shows.get(text)
        return Reply(producer()) if producer else self.invalid(line)

    def _system_info(self) -> str:
        return (
            f"\nhostname: {self.state.hostname}\nip-address: 192.0.2.10\nmodel: PA-VM\n"
            f"serial: 007951000123456\nsw-version: {RELEASE}\nvm-license: VM-SERIES-4\n"
            "operational-mode: normal\nadvanced-routing: off\n"
        )

    def _config_text(self, config: PanosConfig) -> str:
        if self.set_format:
            return "\n".join(config.set_lines()) + "\n"
        return "config {\n" + "".join(f"  {line[4:]};\n" for line in config.set_lines()) + "}\n"

    # ------------------------------------------------------------ configure mode

    def _configuration(self, tokens: list[str], line: str) -> Reply:
        verb, args = tokens[0], tokens[1:]
        candidate = self.state.candidate
        if verb == "set":
            return Reply() if candidate.set(args) else self.invalid(line)
        if verb == "delete" and args:
            candidate.delete(args)
            return Reply()
        if verb == "show" and not args:
            return Reply(self._config_text(candidate))
        if verb == "commit":
            return self._commit(args, line)
        if tokens == ["revert", "config"]:
            self.state.candidate = self.state.running.copy()
            return Reply()
        if verb == "save" and args[:2] == ["config", "to"] and len(args) == 3:
            self.state.saved[args[2]] = candidate.copy()
            return Reply(f"Config saved to {args[2]}\n")
        if verb == "load" and args[:2] == ["config", "from"] and len(args) == 3:
            saved = self.state.saved.get(args[2])
            if saved is None:
                return Reply(f"Server error : {args[2]} does not exist\n")
            self.state.candidate = saved.copy()
            return Reply(f"Config loaded from {args[2]}\n")
        if verb == "run" and args:
            return self._operational(args, " ".join(args))
        if verb in ("exit", "quit"):
            self.configure = False
            return Reply("Exiting configuration mode\n")
        return self.invalid(line)

    def _commit(self, args: list[str], line: str) -> Reply:
        text = line.strip().removeprefix("commit").strip()
        m = re.fullmatch(r'(?:description ("[^"]*"|\S+))?( force)?', text)
        if m is None:
            return self.invalid(line)
        self.state.jobs += 1
        head = (
            f"Commit job {self.state.jobs} is in progress. Use Ctrl+C to return to command prompt\n"
        )
        errors = validate(self.state.candidate)
        if errors:
            return Reply(
                head
                + "....\nValidation Error:\n"
                + "".join(f" {e}\n" for e in errors)
                + "Commit failed\n"
            )
        self.state.commit((m.group(1) or "").strip('"'))
        return Reply(head + "..........55%.......100%\nConfiguration committed successfully\n")


def _build_panos(setup: RouterSetup) -> tuple[PanosState, Callable[[], PanosShell]]:
    """A firewall whose running configuration is `setup.initial_config` (else the default)."""
    state = PanosState(setup.context)
    values = {**setup.values, "gw": setup.gateway}
    state.load_initial(setup.initial_config or DEFAULT_PANOS_CONFIG.format(**values))
    return state, lambda: PanosShell(state, setup.username)


SIMULATOR = Simulator(
    kind="paloalto_panos",
    platforms=("paloalto_panos",),
    default_username="admin",
    wan_interface="ethernet1/1",
    build=_build_panos,
)
