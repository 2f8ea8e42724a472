"""A Cisco IOS-XE CLI: user/enable/config modes, archive and rollback, crypto and BGP shows."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field

from cgw.lab.routers import ios_profiles
from cgw.lab.routers import show_output as show
from cgw.lab.routers.clock import TimerHandle
from cgw.lab.routers.ios_profiles import IosProfile
from cgw.lab.routers.iosconfig import BgpAlreadyRunning, ConfigError, IosConfig, Node
from cgw.lab.routers.shell import Reply, RouterContext
from cgw.lab.routers.simulator import RouterSetup, Simulator

# The lab's default router has a configuration archive, as a router cgw manages must (the revert
# timer needs it); tests of the prerequisite start from their own configuration.
DEFAULT_IOS_CONFIG = """\
interface GigabitEthernet1
 ip address {outside_ip} 255.255.255.0
 negotiation auto
ip route 0.0.0.0 0.0.0.0 {gateway}
archive
 path bootflash:archive
 maximum 5
"""

HEADER = [
    "service timestamps debug datetime msec",
    "service timestamps log datetime msec",
    "!",
]


@dataclass
class IosState:
    """One IOS router: running config, files on flash, archive and the revert timer."""

    context: RouterContext
    enable_secret: str = field(repr=False)
    running: IosConfig = field(default_factory=IosConfig, repr=False)
    startup: str = field(default="", repr=False)
    files: dict[str, str] = field(default_factory=dict, repr=False)
    archive: list[str] = field(default_factory=list)  # archive file names, oldest first
    revert_timer: TimerHandle | None = None
    revert_snapshot: IosConfig | None = field(default=None, repr=False)
    profile: IosProfile = field(default_factory=lambda: ios_profiles.profile(None))
    revert_armed_at: float = 0.0
    revert_minutes: int = 0
    revert_user: str = ""

    @property
    def hostname(self) -> str:
        node = next((c for c in self.running.root.children if c.line.startswith("hostname ")), None)
        return node.line.split()[1] if node else self.context.hostname

    def running_config(self) -> str:
        """`show running-config` as the device prints it."""
        body = [
            self.profile.version_line,
            *HEADER,
            f"hostname {self.hostname}",
            "!",
            "boot-start-marker",
            "boot-end-marker",
            "!",
        ]
        body += [line for line in self.running.render() if not line.startswith("hostname ")]
        body += ["!", "end"]
        text = "\n".join(body) + "\n"
        head = f"Building configuration...\n\nCurrent configuration : {len(text)} bytes\n!\n"
        return head + text

    def archive_path(self) -> str | None:
        archive = self.running.root.find("archive")
        path = (
            next((c for c in archive.children if c.line.startswith("path ")), None)
            if archive
            else None
        )
        return path.line.split(maxsplit=1)[1] if path else None

    def archive_maximum(self) -> int:
        archive = self.running.root.find("archive")
        node = (
            next((c for c in archive.children if c.line.startswith("maximum ")), None)
            if archive
            else None
        )
        return int(node.line.split()[1]) if node else 10

    def save_archive(self) -> str:
        """Write the running config to the next archive file; returns its name."""
        path = self.archive_path() or "flash:archive"
        name = (
            f"{path}-{len(self.files_with_prefix(path)) + 1}"
            if not self.archive
            else (f"{path}-{int(self.archive[-1].rsplit('-', 1)[1]) + 1}")
        )
        self.files[name] = self.running_config()
        self.archive.append(name)
        self.archive = self.archive[-self.archive_maximum() :]
        return name

    def files_with_prefix(self, prefix: str) -> list[str]:
        return [f for f in self.files if f.startswith(prefix)]

    def replace_running(self, text: str) -> list[str]:
        """`configure replace`: the running config becomes exactly `text`."""
        config = IosConfig()
        rejected = config.load(text, keep_unknown=True)
        self.running = config
        return rejected

    def arm_revert(self, minutes: int) -> None:
        """Start (or restart) the rollback that `configure confirm` cancels."""
        if self.revert_timer is not None:
            self.revert_timer.cancel()
        if self.revert_snapshot is None:
            self.revert_snapshot = self.running.copy()
        self.revert_timer = self.context.clock.call_later(minutes * 60, self._revert_expired)
        self.revert_armed_at = self.context.clock.now()
        self.revert_minutes = minutes

    def confirm(self) -> None:
        if self.revert_timer is not None:
            self.revert_timer.cancel()
        self.revert_timer = None
        self.revert_snapshot = None

    def _revert_expired(self) -> None:
        with self.context.lock:
            if self.revert_snapshot is not None:
                self.running = self.revert_snapshot
                self.context.log("rollback: revert timer expired, configuration restored")
            self.revert_timer = None
            self.revert_snapshot = None

    # ------------------------------------------------------------ facts for the shows

    def interface(self, name: str) -> Node | None:
        return self.running.root.find(f"interface {name}")

    def interface_address(self, node: Node) -> tuple[str, str] | None:
        line = next((c.line for c in node.children if c.line.startswith("ip address ")), None)
        return (line.split()[2], line.split()[3]) if line else None

    def tunnel_views(self) -> list[show.SaView]:
        verdict = self.context.verdict(self.running_config())
        views = []
        for node in self.running.root.sorted_children():
            if not node.line.startswith("interface Tunnel"):
                continue
            settings = {c.line.rsplit(" ", 1)[0]: c.line.rsplit(" ", 1)[1] for c in node.children}
            remote = settings.get("tunnel destination")
            if remote is None:
                continue
            name = node.line.split()[1]
            tunnel = verdict.tunnel(remote)
            views.append(
                show.SaView(
                    name=name,
                    local=self._source_address(settings.get("tunnel source", "")),
                    remote=remote,
                    ike_version=self._ike_version(settings.get("tunnel protection ipsec profile")),
                    ike_up=tunnel.ike_up,
                    ipsec_up=tunnel.ipsec_up,
                    index=int(re.sub(r"\D", "", name) or 0),
                    algorithms=self._algorithms(),
                )
            )
        return views

    def _source_address(self, source: str) -> str:
        if re.fullmatch(r"[\d.]+", source):
            return source
        node = self.interface(source)
        address = self.interface_address(node) if node else None
        return address[0] if address else "0.0.0.0"

    def _ike_version(self, profile: str | None) -> int:
        node = self.running.root.find(f"crypto ipsec profile {profile}") if profile else None
        if node and any(c.line.startswith("set ikev2-profile") for c in node.children):
            return 2
        return (
            1
            if self.running.root.find("crypto isakmp policy")
            or any(c.line.startswith("crypto isakmp policy") for c in self.running.root.children)
            else 2
        )

    def _algorithms(self) -> show.Algorithms:
        proposal = next(
            (
                c
                for c in self.running.root.sorted_children()
                if c.line.startswith("crypto ikev2 proposal")
            ),
            None,
        )
        if proposal is None:
            return show.Algorithms()
        words = {c.line.split()[0]: c.line.split()[1:] for c in proposal.children}
        encryption = (words.get("encryption") or ["aes-cbc-256"])[0]
        integrity = (words.get("integrity") or words.get("prf") or [""])[0]
        group = int((words.get("group") or ["14"])[0])
        return show.Algorithms(encryption, integrity, group)

    def bgp_view(self) -> show.BgpView | None:
        router = next(
            (c for c in self.running.root.children if c.line.startswith("router bgp ")), None
        )
        if router is None:
            return None
        verdict = self.context.verdict(self.running_config())
        peers = []
        for child in router.sorted_children():
            m = re.fullmatch(r"neighbor (\S+) remote-as (\d+)", child.line)
            if m:
                bgp = verdict.neighbor(m.group(1))
                peers.append(
                    show.BgpPeerView(
                        m.group(1), int(m.group(2)), bgp.established, len(bgp.prefixes_received)
                    )
                )
        router_id = (
            next(
                (c.line.split()[2] for c in router.children if c.line.startswith("bgp router-id")),
                None,
            )
            or self._highest_address()
        )
        return show.BgpView(int(router.line.split()[2]), router_id, tuple(peers))

    def _highest_address(self) -> str:
        addresses = [
            a[0]
            for n in self.running.root.children
            if n.line.startswith("interface ") and (a := self.interface_address(n))
        ]
        return max(addresses, key=lambda a: tuple(int(p) for p in a.split(".")), default="0.0.0.0")

    def interface_rows(self) -> list[show.InterfaceRow]:
        up_tunnels = {v.name for v in self.tunnel_views() if v.ipsec_up}
        rows = []
        for node in self.running.root.sorted_children():
            if not node.line.startswith("interface "):
                continue
            name = node.line.split()[1]
            address = self.interface_address(node)
            admin = node.find("shutdown") is None
            line_up = name in up_tunnels if name.startswith("Tunnel") else True
            rows.append(
                show.InterfaceRow(name, address[0] if address else "unassigned", admin, line_up)
            )
        return rows


Handler = Callable[[re.Match[str]], Reply]


class IosShell:
    """One SSH session on an IOS router."""

    def __init__(self, state: IosState) -> None:
        self.state = state
        self.privileged = False
        self.stack: list[Node] | None = None  # config-mode stack; None in exec mode
        self._pending: Callable[[str], Reply] | None = None
        self._echo = True
        self._exec_commands: list[tuple[str, Handler]] = [
            (r"enable", self._enable),
            (r"disable", self._disable),
            (r"(exit|logout|quit)", lambda m: Reply(close=True)),
            (r"terminal (length|width) \d+", lambda m: Reply()),
            (r"terminal no monitor|terminal monitor", lambda m: Reply()),
            (r"show (.+)", self._show),
        ]
        self._priv_commands: list[tuple[str, Handler]] = [
            (r"conf(igure)?( t(erminal)?)?", self._configure),
            (r"conf(igure)?( t(erminal)?)? revert timer (\d+)", self._configure_revert),
            (r"configure confirm", self._configure_confirm),
            (r"configure revert now", self._revert_now),
            (r"configure replace (\S+)( force)?", self._configure_replace),
            (r"(write|wr)( mem(ory)?)?", self._write_memory),
            (r"copy running-config (\S+)", self._copy_running),
            (r"archive config", self._archive_config),
            (r"dir( \S+)?", self._dir),
            (r"more (\S+)", self._more),
        ]

    @property
    def echo(self) -> bool:
        return self._echo

    def greeting(self) -> str:
        return "\n"

    def prompt(self) -> str:
        if self._pending is not None:
            return ""
        host = self.state.hostname
        if self.stack is not None:
            mode = self.state.running.mode_of(self.stack)
            return f"{host}({mode})#"
        return f"{host}#" if self.privileged else f"{host}>"

    def invalid(self, line: str, position: int | None = None) -> Reply:
        words = line.split()
        index = 0 if position is None else min(position, max(len(words) - 1, 0))
        column = len(self.prompt()) + self._word_offset(line, index)
        return Reply(" " * column + "^\n% Invalid input detected at '^' marker.\n\n")

    @staticmethod
    def _word_offset(line: str, index: int) -> int:
        position = 0
        for i, m in enumerate(re.finditer(r"\S+", line)):
            position = m.start()
            if i == index:
                break
        return position

    def handle(self, line: str) -> Reply:
        if self._pending is not None:
            pending, self._pending = self._pending, None
            self._echo = True
            return pending(line)
        command = " ".join(line.split())
        if not command or command.startswith("!"):
            return Reply()
        if self.stack is not None:
            return self._config_line(command, line)
        return self._exec(command, line)

    # ------------------------------------------------------------ exec mode

    def _exec(self, command: str, line: str) -> Reply:
        table = self._exec_commands + (self._priv_commands if self.privileged else [])
        for pattern, handler in table:
            m = re.fullmatch(pattern, command)
            if m:
                return handler(m)
        return self.invalid(line, 0 if not self._known_prefix(command) else 1)

    def _known_prefix(self, command: str) -> bool:
        return command.split()[0] in {"show", "configure", "copy", "terminal", "write"}

    def _enable(self, m: re.Match[str]) -> Reply:
        if self.privileged:
            return Reply()
        self._echo = False
        self._pending = self._check_secret
        return Reply("Password: ")

    def _check_secret(self, secret: str) -> Reply:
        if secret == self.state.enable_secret:
            self.privileged = True
            return Reply()
        return Reply("% Access denied\n\n")

    def _disable(self, m: re.Match[str]) -> Reply:
        self.privileged = False
        return Reply()

    def _configure(self, m: re.Match[str]) -> Reply:
        self.stack = [self.state.running.root]
        return Reply("Enter configuration commands, one per line.  End with CNTL/Z.\n")

    def _configure_revert(self, m: re.Match[str]) -> Reply:
        if self.state.archive_path() is None:
            return Reply(
                "% Please configure the archive path before using the rollback feature\n\n"
            )
        if self.state.revert_timer is None:
            backup = self.state.save_archive()
            head = f"Rollback Confirmed Change: Backing up current running config to {backup}\n\n"
        else:
            head = ""
        self.state.arm_revert(int(m.group(4)))
        return Reply(head + self._configure(m).output)

    def _configure_confirm(self, m: re.Match[str]) -> Reply:
        if self.state.revert_timer is None:
            return Reply("% No Rollback Confirmed Change pending\n\n")
        self.state.confirm()
        return Reply()

    def _revert_now(self, m: re.Match[str]) -> Reply:
        if self.state.revert_timer is None:
            return Reply("% No Rollback Confirmed Change pending\n\n")
        if self.state.revert_snapshot is not None:
            self.state.running = self.state.revert_snapshot
        self.state.confirm()
        return Reply("Rollback Done\n\n")

    def _more(self, m: re.Match[str]) -> Reply:
        name = self._file_name(m.group(1))
        if name not in self.state.files:
            return Reply(f"%Error opening {name} (No such file or directory)\n")
        return Reply(self.state.files[name])

    def _show_rollback_timer(self) -> str:
        state = self.state
        if state.archive_path() is None:
            return "% Please configure the archive path before using the rollback feature\n"
        if state.revert_timer is None:
            return "% No Rollback Confirmed Change pending\n"
        return (
            f"Time configured(or reset) : {int(state.revert_armed_at)} s\n"
            "Timer type                : Revert timer\n"
            f"Timer value               : {state.revert_minutes} min\n"
            f"User                      : {state.revert_user or 'admin'}\n"
        )

    def _configure_replace(self, m: re.Match[str]) -> Reply:
        name = self._file_name(m.group(1))
        if name not in self.state.files:
            return Reply(f"%Error opening {name} (File not found)\n")
        if m.group(2):
            return self._replace_now(name)
        self._pending = lambda answer: (
            self._replace_now(name) if answer.strip().lower() in ("y", "yes") else Reply()
        )
        return Reply(
            "This will apply all necessary additions and deletions\n"
            "to replace the current running configuration with the\n"
            "contents of the specified configuration file, which is\n"
            "assumed to be a complete configuration, not a partial\n"
            "configuration. Enter Y if you are sure you want to proceed. ? [no]: "
        )

    def _replace_now(self, name: str) -> Reply:
        rejected = self.state.replace_running(self.state.files[name])
        errors = "".join(f"%Error: failed to apply '{r.strip()}'\n" for r in rejected)
        return Reply(f"{errors}Total number of passes: 1\nRollback Done\n\n")

    def _write_memory(self, m: re.Match[str]) -> Reply:
        self.state.startup = self.state.running_config()
        return Reply("Building configuration...\n[OK]\n")

    def _copy_running(self, m: re.Match[str]) -> Reply:
        target = m.group(1)
        if target in ("startup-config", "nvram:startup-config"):
            default = "startup-config"
        else:
            default = self._file_name(target).split(":", 1)[1]
        name = self._file_name(target)

        def finish(answer: str) -> Reply:
            text = self.state.running_config()
            if default == "startup-config":
                self.state.startup = text
                return Reply("Building configuration...\n[OK]\n")
            chosen = answer.strip() or default
            self.state.files[name.split(":")[0] + ":" + chosen] = text
            return Reply(f"{len(text)} bytes copied in 0.042 secs ({len(text) * 24} bytes/sec)\n")

        self._pending = finish
        return Reply(f"Destination filename [{default}]? ")

    def _archive_config(self, m: re.Match[str]) -> Reply:
        if self.state.archive_path() is None:
            return Reply("% Please configure the archive path before using the archive feature\n")
        self.state.save_archive()
        return Reply()

    def _dir(self, m: re.Match[str]) -> Reply:
        lines = ["Directory of bootflash:/", ""]
        for i, (name, text) in enumerate(sorted(self.state.files.items()), start=11):
            lines.append(
                f"{i:>7}  -rw-{len(text):>15}  Nov 30 2025 17:00:00 +00:00  {name.split(':', 1)[1]}"
            )
        return Reply("\n".join(lines) + "\n\n")

    @staticmethod
    def _file_name(name: str) -> str:
        return name if ":" in name else f"bootflash:{name}"

    # ------------------------------------------------------------ show

    def _show(self, m: re.Match[str]) -> Reply:
        command, _, pipe = m.group(1).partition("|")
        command = command.strip()
        shows: dict[str, Callable[[], str]] = {
            "running-config": self.state.running_config,
            "run": self.state.running_config,
            "startup-config": lambda: self.state.startup or "startup-config is not present\n",
            "archive": self._show_archive,
            "archive config rollback timer": self._show_rollback_timer,
            "version": self._show_version,
            "crypto ikev2 sa": lambda: show.ios_ikev2_sa(
                self.state.tunnel_views(), pqc_line=self.state.profile.pqc_line
            ),
            "crypto isakmp sa": lambda: show.ios_isakmp_sa(self.state.tunnel_views()),
            "crypto ipsec sa": lambda: show.ios_ipsec_sa(self.state.tunnel_views()),
            "ip bgp summary": lambda: show.ios_bgp_summary(self.state.bgp_view()),
            "bgp ipv4 unicast summary": lambda: show.ios_bgp_summary(self.state.bgp_view()),
            "ip interface brief": lambda: show.ios_ip_interface_brief(self.state.interface_rows()),
        }
        privileged_only = {
            "running-config",
            "run",
            "startup-config",
            "archive",
            "archive config rollback timer",
        }
        producer = shows.get(command)
        if producer is None or (command in privileged_only and not self.privileged):
            return self.invalid("show " + m.group(1), 1)
        text = producer()
        if pipe:
            text = self._pipe(text, pipe.strip())
        return Reply(text)

    def _pipe(self, text: str, pipe: str) -> str:
        verb, _, pattern = pipe.partition(" ")
        lines = text.splitlines()
        if verb in ("include", "i", "inc"):
            kept = [line for line in lines if re.search(pattern, line)]
        elif verb in ("exclude", "e", "exc"):
            kept = [line for line in lines if not re.search(pattern, line)]
        elif verb in ("begin", "b"):
            start = next(
                (i for i, line in enumerate(lines) if re.search(pattern, line)), len(lines)
            )
            kept = lines[start:]
        elif verb in ("section", "s", "sec"):
            kept = self._section(lines, pattern)
        else:
            return text
        return "\n".join(kept) + ("\n" if kept else "")

    @staticmethod
    def _section(lines: list[str], pattern: str) -> list[str]:
        kept: list[str] = []
        block: list[str] = []
        for line in [*lines, "!"]:
            if line and not line.startswith(" "):
                if block and any(re.search(pattern, b) for b in block):
                    kept.extend(block)
                block = [] if line.startswith("!") else [line]
            elif block:
                block.append(line)
        return kept

    def _show_archive(self) -> str:
        path = self.state.archive_path()
        maximum = self.state.archive_maximum()
        if path is None:
            return "Archive feature not enabled\n"
        following = len(self.state.archive) + 1
        if self.state.archive:
            following = int(self.state.archive[-1].rsplit("-", 1)[1]) + 1
        out = [
            f"The maximum archive configurations allowed is {maximum}.",
            f"There are currently {len(self.state.archive)} archive configurations saved.",
            f"The next archive file will be named {path}-{following}",
            " Archive #  Name",
        ]
        for i in range(1, maximum + 1):
            name = self.state.archive[i - 1] if i <= len(self.state.archive) else ""
            recent = " <- Most Recent" if name and i == len(self.state.archive) else ""
            out.append(f"   {i:<8} {name}{recent}".rstrip())
        return "\n".join(out) + "\n"

    def _show_version(self) -> str:
        profile = self.state.profile
        banner = (
            f"Cisco IOS XE Software, Version {profile.xe_banner}\n" if profile.xe_banner else ""
        )
        return (
            f"{banner}{profile.train}, Version {profile.release}, RELEASE SOFTWARE (fc3)\n\n"
            f"{self.state.hostname} uptime is {int(self.state.context.clock.now()) // 60} minutes\n"
            "cisco C8000V (VXE) processor (revision VXE) with 1987123K/3075K bytes of memory.\n"
        )

    # ------------------------------------------------------------ config mode

    def _config_line(self, command: str, line: str) -> Reply:
        assert self.stack is not None
        if command in ("end",):
            self.stack = None
            return Reply()
        if command in ("exit", "exit-address-family"):
            self.stack = self.stack[:-1] or None
            return Reply()
        if command.startswith("do "):
            return self._exec(command[3:], line.replace("do ", "", 1))
        refused = ios_profiles.refusal(
            self.state.profile, self.state.running.mode_of(self.stack), command
        )
        if refused is not None:
            return Reply(refused + "\n\n")
        try:
            self.stack = self.state.running.apply(self.stack, command)
        except BgpAlreadyRunning as exc:
            return Reply(f"% BGP is already running; AS is {exc.asn}\n\n")
        except ConfigError as exc:
            if exc.incomplete:
                return Reply("% Incomplete command.\n\n")
            return self.invalid(line, exc.position)
        return Reply()


def _build_ios(setup: RouterSetup) -> tuple[IosState, Callable[[], IosShell]]:
    """An IOS router running (and saving as startup) `setup.initial_config`, else the default."""
    state = IosState(
        setup.context, setup.enable_secret, profile=ios_profiles.profile(setup.software)
    )
    default = DEFAULT_IOS_CONFIG.format(**setup.values)
    state.running.load(
        f"hostname {setup.hostname}\n" + (setup.initial_config or default), keep_unknown=True
    )
    state.startup = state.running_config()
    return state, lambda: IosShell(state)


SIMULATOR = Simulator(
    kind="cisco_xe",
    platforms=("cisco_ios", "cisco_xe"),
    default_username="netops",
    wan_interface="GigabitEthernet1",
    build=_build_ios,
)
