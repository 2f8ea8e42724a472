"""A Junos (SRX) CLI: operational and configuration modes, candidate/commit/rollback, shows."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field

from cgw.lab.routers import show_output as show
from cgw.lab.routers.clock import TimerHandle
from cgw.lab.routers.junos_profiles import DEFAULT_PROFILE, JunosProfile
from cgw.lab.routers.junosconfig import (
    JunosConfig,
    check,
    compare,
    error_position,
    tokens,
    valid,
)
from cgw.lab.routers.shell import Reply, RouterContext
from cgw.lab.routers.simulator import RouterSetup, Simulator

MAX_ROLLBACKS = 50

DEFAULT_JUNOS_CONFIG = """\
set system host-name {hostname}
set system services ssh
set interfaces ge-0/0/0 unit 0 family inet address {outside_ip}/24
set security zones security-zone untrust interfaces ge-0/0/0.0
set routing-options static route 0.0.0.0/0 next-hop {gateway}
"""


@dataclass
class JunosState:
    """One SRX: the active configuration, its rollbacks, the shared candidate and locks."""

    context: RouterContext
    history: list[JunosConfig] = field(default_factory=lambda: [JunosConfig()], repr=False)
    candidate: JunosConfig = field(default_factory=JunosConfig, repr=False)
    exclusive_owner: object | None = None
    confirm_timer: TimerHandle | None = None
    # Set to store `ascii-text` keys obfuscated, as a real SRX shows them (`"$9$..."`).
    secret_encoder: Callable[[str], str] | None = None
    # The release this SRX runs (junos_behaviours.md) and real seconds per simulated second of
    # a commit (0: commits answer at once; tests raise it to see a commit outlast a timeout).
    profile: JunosProfile = DEFAULT_PROFILE
    commit_time_scale: float = 0.0

    @property
    def commit_delay_s(self) -> float:
        return self.profile.commit_s * self.commit_time_scale

    def accepts(self, interface: str, service: str) -> bool:
        """Whether host-inbound traffic `service` reaches the SRX on `interface` (a unit).

        The interface's own host-inbound-traffic replaces its zone's (Juniper: "Interface
        configuration overrides that of the zone"); `all` allows every service, `X except`
        refuses X; with neither list nothing is accepted (inbound is dropped by default).
        """
        config = self.active
        for zone in config.values(["security", "zones", "security-zone"]):
            base = ["security", "zones", "security-zone", zone]
            if interface not in config.values([*base, "interfaces"]):
                continue
            for level in ([*base, "interfaces", interface], base):
                inbound = [*level, "host-inbound-traffic"]
                if config.subtree(inbound) is None:
                    continue
                allowed = set()
                for kind in ("system-services", "protocols"):
                    for name in config.values([*inbound, kind]):
                        if "except" in config.values([*inbound, kind, name]):
                            if name == service:
                                return False
                        else:
                            allowed.add(name)
                return bool(allowed & {service, "all"})
            return False
        return False

    @property
    def active(self) -> JunosConfig:
        return self.history[0]

    @property
    def hostname(self) -> str:
        names = self.active.values(["system", "host-name"])
        return names[0] if names else self.context.hostname

    def load_initial(self, set_lines: str) -> None:
        config = JunosConfig()
        for line in set_lines.splitlines():
            words = tokens(line)
            if words[:1] == ["set"]:
                config.set(words[1:])
        self.history = [config]
        self.candidate = config.copy()

    def running_config(self) -> str:
        """`show configuration | display set`."""
        return "\n".join(self.active.set_lines()) + "\n"

    def commit(self, config: JunosConfig) -> None:
        """Make `config` active; the previous one becomes rollback 1."""
        self.history.insert(0, config.copy())
        del self.history[MAX_ROLLBACKS:]
        self.candidate = config.copy()

    def arm_confirm(self, minutes: int) -> None:
        if self.confirm_timer is not None:
            self.confirm_timer.cancel()
        self.confirm_timer = self.context.clock.call_later(minutes * 60, self._confirm_expired)

    def confirm(self) -> None:
        if self.confirm_timer is not None:
            self.confirm_timer.cancel()
        self.confirm_timer = None

    def _confirm_expired(self) -> None:
        with self.context.lock:
            self.confirm_timer = None
            if len(self.history) > 1:
                self.commit(self.history[1])
                self.context.log("commit confirmed not confirmed: rolled back to rollback 1")

    # ------------------------------------------------------------ facts for the shows

    def tunnel_views(self) -> list[show.SaView]:
        config = self.active
        verdict = self.context.verdict(self.running_config())
        views = []
        for index, vpn in enumerate(config.values(["security", "ipsec", "vpn"]), start=1):
            gateway = next(
                iter(config.values(["security", "ipsec", "vpn", vpn, "ike", "gateway"])), ""
            )
            base = ["security", "ike", "gateway", gateway]
            remote = next(iter(config.values([*base, "address"])), "")
            if not remote:
                continue
            version = next(iter(config.values([*base, "version"])), "v1-only")
            local = (
                next(iter(config.values([*base, "local-address"])), "") or self._outside_address()
            )
            bind = next(
                iter(config.values(["security", "ipsec", "vpn", vpn, "bind-interface"])), vpn
            )
            tunnel = verdict.tunnel(remote)
            views.append(
                show.SaView(
                    name=bind,
                    local=local,
                    remote=remote,
                    ike_version=2 if version == "v2-only" else 1,
                    ike_up=tunnel.ike_up,
                    ipsec_up=tunnel.ipsec_up,
                    index=index,
                    algorithms=self._ipsec_algorithms(vpn),
                )
            )
        return views

    def _outside_address(self) -> str:
        for unit in self.active.values(["interfaces", "ge-0/0/0", "unit"]):
            for address in self.active.values(
                ["interfaces", "ge-0/0/0", "unit", unit, "family", "inet", "address"]
            ):
                return address.split("/")[0]
        return "0.0.0.0"

    def _ipsec_algorithms(self, vpn: str) -> show.Algorithms:
        config = self.active
        policy = next(
            iter(config.values(["security", "ipsec", "vpn", vpn, "ike", "ipsec-policy"])), ""
        )
        proposal = next(
            iter(config.values(["security", "ipsec", "policy", policy, "proposals"])), ""
        )
        base = ["security", "ipsec", "proposal", proposal]
        encryption = next(iter(config.values([*base, "encryption-algorithm"])), "aes-256-cbc")
        bits, _, suffix = encryption.removeprefix("aes-").partition("-")
        auth = next(iter(config.values([*base, "authentication-algorithm"])), "")
        integrity = {"hmac-sha1-96": "sha1", "hmac-sha-256-128": "sha256"}.get(auth, "")
        group = next(
            iter(
                config.values(
                    ["security", "ipsec", "policy", policy, "perfect-forward-secrecy", "keys"]
                )
            ),
            "group14",
        )
        return show.Algorithms(
            f"aes-{suffix or 'cbc'}-{bits}", integrity, int(group.removeprefix("group") or 14)
        )

    def bgp_view(self) -> show.BgpView | None:
        config = self.active
        groups = config.values(["protocols", "bgp", "group"])
        if not groups:
            return None
        verdict = self.context.verdict(self.running_config())
        peers = []
        for group in groups:
            base = ["protocols", "bgp", "group", group]
            group_as = next(iter(config.values([*base, "peer-as"])), "0")
            for neighbor in config.values([*base, "neighbor"]):
                peer_as = next(
                    iter(config.values([*base, "neighbor", neighbor, "peer-as"])), group_as
                )
                bgp = verdict.neighbor(neighbor)
                peers.append(
                    show.BgpPeerView(
                        neighbor, int(peer_as), bgp.established, len(bgp.prefixes_received)
                    )
                )
        asn = next(iter(config.values(["routing-options", "autonomous-system"])), "0")
        router_id = next(
            iter(config.values(["routing-options", "router-id"])), self._outside_address()
        )
        return show.BgpView(int(asn), router_id, tuple(peers))

    def st0_rows(self) -> list[show.InterfaceRow]:
        up = {v.name for v in self.tunnel_views() if v.ipsec_up}
        units = self.active.values(["interfaces", "st0", "unit"])
        rows = [show.InterfaceRow("st0", "", True, True)] if units else []
        for unit in units:
            name = f"st0.{unit}"
            addresses = self.active.values(
                ["interfaces", "st0", "unit", unit, "family", "inet", "address"]
            )
            rows.append(
                show.InterfaceRow(name, addresses[0] if addresses else "", True, name in up)
            )
        return rows


class JunosShell:
    """One SSH session on an SRX."""

    def __init__(self, state: JunosState, username: str) -> None:
        self.state = state
        self.username = username
        self.config_mode: str | None = None  # None, "shared", "private", "exclusive"
        self.private: JunosConfig | None = None
        self.private_base = JunosConfig()  # what the private candidate started from
        self._pending: Callable[[str], Reply] | None = None

    echo = True

    @property
    def candidate(self) -> JunosConfig:
        return self.private if self.private is not None else self.state.candidate

    def greeting(self) -> str:
        return f"--- JUNOS {self.state.profile.release} built 2023-08-22 01:00:00 UTC\n"

    def hangup(self) -> None:
        """The session ended (logout or dropped): its private candidate and lock go with it."""
        if self.config_mode is not None:
            self._leave()

    def prompt(self) -> str:
        if self._pending is not None:
            return ""
        base = f"{self.username}@{self.state.hostname}"
        return f"\n[edit]\n{base}# " if self.config_mode else f"{base}> "

    def _caret(self, line: str, index: int, message: str) -> Reply:
        prompt = self.prompt().rsplit("\n", 1)[-1]
        positions = [m.start() for m in re.finditer(r'"[^"]*"|\S+', line)] or [0]
        column = len(prompt) + positions[min(index, len(positions) - 1)]
        return Reply(" " * column + "^\n" + message + "\n")

    def invalid(self, line: str) -> Reply:
        if self.config_mode and tokens(line)[:1] in (["set"], ["delete"]):
            return self._caret(line, 1, "syntax error.")
        return self._caret(line, 0, "unknown command.")

    def handle(self, line: str) -> Reply:
        if self._pending is not None:
            pending, self._pending = self._pending, None
            return pending(line)
        words = tokens(line)
        if not words:
            return Reply()
        command, _, pipe = line.strip().partition("|")
        if self.config_mode:
            return self._configuration(tokens(command), pipe.strip(), line)
        return self._operational(tokens(command), pipe.strip(), line)

    # ------------------------------------------------------------ operational mode

    def _operational(self, words: list[str], pipe: str, line: str) -> Reply:
        text = " ".join(words)
        if m := re.fullmatch(r"set cli screen-length (\d+)", text):
            return Reply(f"Screen length set to {m.group(1)}\n")
        if m := re.fullmatch(r"set cli screen-width (\d+)", text):
            return Reply(f"Screen width set to {m.group(1)}\n")
        if text == "set cli complete-on-space off":
            return Reply("Disabling complete-on-space\n")
        if re.fullmatch(r"set cli (timestamp|idle-timeout).*", text):
            return Reply()
        if m := re.fullmatch(r"configure( private| exclusive)?", text):
            return self._enter_configuration((m.group(1) or " shared").strip())
        if text in ("exit", "quit", "logout"):
            return Reply(close=True)
        if words[:1] == ["show"]:
            return self._show(words[1:], pipe, line)
        return self.invalid(line)

    def _enter_configuration(self, kind: str) -> Reply:
        owner = self.state.exclusive_owner
        if owner is not None and owner is not self:
            return Reply(
                "error: configuration database locked by:\n"
                f"  {self.username} terminal pts/1 (pid 4242) on since 2025-11-30 17:00:00 UTC\n"
                "      exclusive [edit]\n"
            )
        uncommitted = self.state.candidate != self.state.active
        if kind == "private":
            if uncommitted:
                return Reply("error: shared configuration database modified\n")
            self.private = self.state.active.copy()
            self.private_base = self.state.active.copy()
            head = "warning: uncommitted changes will be discarded on exit\n"
        elif kind == "exclusive":
            if uncommitted:
                return Reply("error: shared configuration database modified\n")
            self.state.exclusive_owner = self
            head = "warning: uncommitted changes will be discarded on exit\n"
        else:
            head = "The configuration has been changed but not committed\n" if uncommitted else ""
        self.config_mode = kind
        return Reply(head + "Entering configuration mode\n")

    def _show(self, words: list[str], pipe: str, line: str) -> Reply:
        text = " ".join(words)
        if words[:1] == ["configuration"]:
            return Reply(self._display(self.state.active, words[1:], pipe))
        shows: dict[str, Callable[[], str]] = {
            "security ike security-associations": self._ike_sa,
            "security ike sa": self._ike_sa,
            "security ipsec security-associations": self._ipsec_sa,
            "security ipsec sa": self._ipsec_sa,
            "bgp summary": lambda: show.junos_bgp_summary(self.state.bgp_view()),
            "interfaces st0 terse": lambda: show.junos_interfaces_terse(self.state.st0_rows()),
            "interfaces terse st0": lambda: show.junos_interfaces_terse(self.state.st0_rows()),
            "system commit": self._show_commits,
            "version": self._version,
        }
        producer = shows.get(text)
        if producer is None:
            return self._caret(line, 1, "syntax error, expecting <command>.")
        return Reply(producer())

    def _ike_sa(self) -> str:
        return show.junos_ike_sa(self.state.tunnel_views(), self.state.profile.ike_sa_layout)

    def _ipsec_sa(self) -> str:
        return show.junos_ipsec_sa(self.state.tunnel_views(), self.state.profile.ipsec_sa_layout)

    def _version(self) -> str:
        profile = self.state.profile
        junos = f"Junos: {profile.release}\n" if profile.junos_line else ""
        return (
            f"Hostname: {self.state.hostname}\nModel: {profile.model}\n{junos}"
            f"JUNOS Software Release [{profile.release}]\n"
        )

    def _show_commits(self) -> str:
        lines = [
            f"{i}   2025-11-30 17:{i:02d}:00 UTC by {self.username} via cli"
            for i in range(len(self.state.history))
        ]
        return "\n".join(lines) + "\n"

    def _display(self, config: JunosConfig, path: list[str], pipe: str) -> str:
        if pipe == "display set":
            lines = config.set_lines(path)
        elif pipe.startswith("compare"):
            m = re.fullmatch(r"compare( rollback (\d+))?", pipe)
            base = self.state.history[int(m.group(2))] if m and m.group(2) else self.state.active
            lines = compare(base, config)
        else:
            lines = config.curly(path)
        return "\n".join(lines) + ("\n" if lines else "")

    # ------------------------------------------------------------ configuration mode

    def _configuration(self, words: list[str], pipe: str, line: str) -> Reply:
        verb = words[0]
        if verb == "set":
            return self._set(words[1:], line)
        if verb == "delete":
            if not words[1:]:
                self.candidate.root.children.clear()
                return Reply()
            found = self.candidate.delete(words[1:])
            return Reply() if found else Reply("warning: statement not found\n")
        if verb == "show":
            if pipe == "compare" or pipe.startswith("compare"):
                return Reply(self._display(self.candidate, words[1:], pipe))
            return Reply(self._display(self.candidate, words[1:], pipe))
        if verb == "commit":
            return self._commit(words[1:], line)
        if verb == "rollback":
            return self._rollback(words[1:])
        if verb == "run":
            return self._operational(words[1:], "", " ".join(words[1:]))
        if verb in ("exit", "quit") or words == ["exit", "configuration-mode"]:
            return self._exit_configuration(words)
        if verb == "top":
            return Reply()
        return self.invalid(line)

    def _set(self, path: list[str], line: str) -> Reply:
        if not valid(path):
            return self._caret(line, error_position(path) + 1, "syntax error.")
        missing = {f"group{g}" for g in self.state.profile.missing_dh_groups}
        if len(path) > 1 and path[-2] == "dh-group" and path[-1] in missing:
            return self._caret(line, len(path), "syntax error.")
        self.candidate.set(self._stored(path))
        return Reply()

    def _stored(self, path: list[str]) -> list[str]:
        """The path as the router keeps it: a clear ascii-text key obfuscated, if so set up."""
        encoder = self.state.secret_encoder
        if encoder is None or len(path) < 2 or path[-2] != "ascii-text":
            return path
        value = path[-1].strip('"')
        if value.startswith("$9$"):
            return path
        return [*path[:-1], f'"{encoder(value)}"']

    def _commit(self, args: list[str], line: str) -> Reply:
        text = " ".join(args)
        m = re.fullmatch(r"(check|confirmed( \d+)?|and-quit)?( comment \".*\")?", text)
        if m is None:
            return self._caret(line, 1, "syntax error.")
        action = (m.group(1) or "").split(" ")[0]
        delay = self.state.commit_delay_s
        owner = self.state.exclusive_owner
        if action != "check" and owner is not None and owner is not self:
            return Reply("error: configuration database locked by another user\n")
        if self.private is not None and self.state.candidate != self.state.active:
            # a private commit needs the shared candidate unmodified (Junos CLI guide)
            return Reply("error: shared configuration database modified\n")
        private_confirmed = self.state.profile.private_commit_confirmed
        if action == "confirmed" and self.private is not None and not private_confirmed:
            return Reply("error: commit confirmed not supported for private configuration\n")
        errors = check(self.candidate)
        if errors:
            message = "\n".join(errors) + "\nerror: configuration check-out failed\n"
            return Reply(message, delay_s=delay)
        if action == "check":
            self.state.confirm()  # `commit check` also confirms a pending commit confirmed
            return Reply("configuration check succeeds\n", delay_s=delay)
        self.state.commit(self._merged() if self.private is not None else self.candidate)
        if self.private is not None:
            self.private = self.state.active.copy()
            self.private_base = self.state.active.copy()
        if action == "confirmed":
            minutes = int(m.group(2) or 10)
            self.state.arm_confirm(minutes)
            return Reply(
                f"commit confirmed will be automatically rolled back in {minutes} minutes unless"
                f" confirmed\ncommit complete\n\n"
                f"# commit confirmed will be rolled back in {minutes}"
                " minutes",
                delay_s=delay,
            )
        self.state.confirm()
        if action == "and-quit":
            self._leave()
            return Reply("commit complete\nExiting configuration mode\n", delay_s=delay)
        return Reply("commit complete\n", delay_s=delay)

    def _merged(self) -> JunosConfig:
        """The private changes merged into the latest committed configuration (Junos 8.5 CLI
        guide: "the changes made in the private candidate configuration are merged into the
        most recently committed global configuration"), so another user's commit survives."""
        assert self.private is not None
        if self.state.active == self.private_base:  # nobody committed meanwhile: exactly ours
            return self.private
        base = set(self.private_base.set_lines())
        mine = self.private.set_lines()
        merged = self.state.active.copy()
        for line in base - set(mine):
            merged.delete(tokens(line)[1:])
        for line in mine:
            if line not in base:
                merged.set(tokens(line)[1:])
        return merged

    def _rollback(self, args: list[str]) -> Reply:
        number = int(args[0]) if args and args[0].isdigit() else 0
        if number >= len(self.state.history):
            return Reply(f"error: Cannot find rollback {number}\n")
        loaded = self.state.history[number].copy()
        if self.private is not None:
            self.private = loaded
        else:
            self.state.candidate = loaded
        return Reply("load complete\n")

    def _exit_configuration(self, words: list[str]) -> Reply:
        if self.config_mode == "shared" and self.state.candidate != self.state.active:

            def answer(reply: str) -> Reply:
                if reply.strip().lower() in ("", "yes", "y"):
                    self._leave()
                    return Reply("Exiting configuration mode\n")
                return Reply()

            self._pending = answer
            return Reply(
                "The configuration has been changed but not committed\n"
                "Exit with uncommitted changes? [yes,no] (yes) "
            )
        self._leave()
        return Reply("Exiting configuration mode\n")

    def _leave(self) -> None:
        if self.config_mode == "exclusive":
            self.state.candidate = self.state.active.copy()
            self.state.exclusive_owner = None
        self.private = None
        self.config_mode = None


def _build_junos(setup: RouterSetup) -> tuple[JunosState, Callable[[], JunosShell]]:
    """An SRX whose active configuration is `setup.initial_config` (else the small default)."""
    state = JunosState(setup.context)
    state.load_initial(setup.initial_config or DEFAULT_JUNOS_CONFIG.format(**setup.values))
    return state, lambda: JunosShell(state, setup.username)


SIMULATOR = Simulator(
    kind="juniper_junos",
    platforms=("juniper_junos",),
    default_username="netops",
    wan_interface="ge-0/0/0.0",
    build=_build_junos,
)
