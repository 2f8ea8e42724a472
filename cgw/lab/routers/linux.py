"""A Linux strongSwan/FRR host: root shell, in-memory files, swanctl, vtysh and `ip -br`."""

from __future__ import annotations

import base64
import binascii
import fnmatch
import hashlib
import posixpath
import re
import shlex
from collections.abc import Callable
from dataclasses import dataclass, field

from cgw.lab.routers import show_output as show
from cgw.lab.routers.shell import Reply, RouterContext
from cgw.lab.routers.simulator import RouterSetup, Simulator

SWANCTL_CONF = "/etc/swanctl/swanctl.conf"
FRR_CONF = "/etc/frr/frr.conf"

STRONGSWAN_CONF = """\
charon {
  load_modular = yes
  plugins {
    include strongswan.d/charon/*.conf
  }
}
"""
FRR_SEED = """\
frr version 8.4.4
frr defaults traditional
hostname {hostname}
log syslog informational
service integrated-vtysh-config
!
line vty
!
"""
SEED_FILES = {
    SWANCTL_CONF: "# strongSwan swanctl configuration\n\ninclude conf.d/*.conf\n",
    "/etc/strongswan.conf": STRONGSWAN_CONF,
    FRR_CONF: FRR_SEED,
    "/etc/frr/daemons": "bgpd=yes\nzebra=yes\nvtysh_enable=yes\n",
}
SEED_DIRS = (
    "/",
    "/etc",
    "/etc/swanctl",
    "/etc/swanctl/conf.d",
    "/etc/swanctl/x509",
    "/etc/swanctl/x509ca",
    "/etc/swanctl/private",
    "/etc/swanctl/rsa",
    "/etc/swanctl/ecdsa",
    "/etc/swanctl/pkcs8",
    "/etc/swanctl/pkcs12",
    "/etc/swanctl/x509aa",
    "/etc/swanctl/x509ocsp",
    "/etc/swanctl/x509crl",
    "/etc/swanctl/x509ac",
    "/etc/swanctl/pubkey",
    "/etc/frr",
    "/root",
    "/tmp",
    "/var",
    "/var/tmp",
    "/usr",
    "/usr/sbin",
    "/usr/bin",
    "/run",
)


@dataclass
class Link:
    """One network interface as `ip -br` shows it."""

    name: str
    mac: str
    up: bool = True
    addresses: list[str] = field(default_factory=list)
    flags: str = "BROADCAST,MULTICAST,UP,LOWER_UP"


class SwanctlSyntaxError(Exception):
    """A swanctl.conf file that charon's parser would refuse."""


def parse_swanctl(text: str) -> dict[str, object]:
    """swanctl.conf's nested `name { key = value }` sections as dicts (comments dropped)."""
    root: dict[str, object] = {}
    stack = [root]
    for number, raw in enumerate(text.splitlines(), start=1):
        for line in _statements(raw.split("#", 1)[0]):
            _parse_statement(stack, line, number)
    if len(stack) != 1:
        raise SwanctlSyntaxError("syntax error, unexpected end of file")
    return root


def _statements(text: str) -> list[str]:
    """One physical line split into statements: `a { b = 1 }` is three."""
    spaced = re.sub(r"\{", "{\n", text)
    spaced = re.sub(r"\}", "\n}\n", spaced)
    return [s.strip() for s in spaced.splitlines() if s.strip()]


def _parse_statement(stack: list[dict[str, object]], line: str, number: int) -> None:
    if m := re.fullmatch(r"([\w.\-*/]+)\s*\{", line):
        section: dict[str, object] = {}
        stack[-1][m.group(1)] = section
        stack.append(section)
    elif line == "}":
        if len(stack) == 1:
            raise SwanctlSyntaxError(f"line {number}: unexpected '}}'")
        stack.pop()
    elif m := re.fullmatch(r"([\w.\-]+)\s*=\s*(.*)", line):
        stack[-1][m.group(1)] = m.group(2).strip().strip('"')
    elif line.startswith("include "):
        stack[-1].setdefault("__include__", [])
        include = stack[-1]["__include__"]
        assert isinstance(include, list)
        include.append(line.split(None, 1)[1])
    else:
        raise SwanctlSyntaxError(f"line {number}: syntax error, unexpected '{line}'")


@dataclass
class LinuxState:
    """One Linux host: files, links, what charon has loaded and what bgpd runs."""

    context: RouterContext
    outside_ip: str = "203.0.113.10"
    files: dict[str, bytes] = field(default_factory=dict, repr=False)
    dirs: set[str] = field(default_factory=set)
    modes: dict[str, int] = field(default_factory=dict)
    links: dict[str, Link] = field(default_factory=dict)
    connections: dict[str, dict[str, object]] = field(default_factory=dict, repr=False)
    loaded_text: str = field(default="", repr=False)
    frr_running: str = field(default="", repr=False)

    def seed(self) -> None:
        self.dirs.update(SEED_DIRS)
        for path, text in SEED_FILES.items():
            self.files[path] = text.replace("{hostname}", self.context.hostname).encode()
        self.links = {
            "lo": Link(
                "lo", "00:00:00:00:00:00", addresses=["127.0.0.1/8"], flags="LOOPBACK,UP,LOWER_UP"
            ),
            "eth0": Link("eth0", "02:42:cb:00:71:0a", addresses=[f"{self.outside_ip}/24"]),
        }
        self.reload_frr()

    def running_config(self) -> str:
        """What the oracle judges: the swanctl files charon loaded, then FRR's running config."""
        return self.loaded_text + "\n" + self.frr_running

    def reload_frr(self, path: str = FRR_CONF) -> None:
        text = self.files.get(path, b"").decode(errors="replace")
        body = [
            line
            for line in text.splitlines()
            if not line.startswith(("frr version", "frr defaults", "hostname"))
        ]
        self.frr_running = (
            "\n".join(
                [
                    "frr version 8.4.4",
                    "frr defaults traditional",
                    f"hostname {self.context.hostname}",
                    *body,
                ]
            ).rstrip("\n")
            + "\n"
        )

    def apply_frr(self, fragment: bytes) -> None:
        """`vtysh -f FILE`: the file's commands on top of the running config (`no` removes)."""
        self.frr_running = merge_frr(self.frr_running, fragment.decode(errors="replace"))

    # ------------------------------------------------------------ swanctl

    def load_all(self) -> tuple[str, int]:
        """`swanctl --load-all`: (output, exit status)."""
        try:
            texts = self._swanctl_texts(SWANCTL_CONF)
            parsed = [parse_swanctl(t) for _, t in texts]
        except SwanctlSyntaxError as exc:
            return f"loading '{SWANCTL_CONF}' failed: {exc}\n", 1
        secrets: list[str] = []
        connections: dict[str, dict[str, object]] = {}
        for tree in parsed:
            for name, value in dict(tree.get("secrets", {}) or {}).items():  # type: ignore[call-overload]
                if isinstance(value, dict):
                    secrets.append(name)
            for name, value in dict(tree.get("connections", {}) or {}).items():  # type: ignore[call-overload]
                if isinstance(value, dict):
                    connections[name] = value
        unloaded = len([n for n in self.connections if n not in connections])
        self.connections = connections
        self.loaded_text = "\n".join(t for _, t in texts)
        out = [f"loaded ike secret '{s}'" for s in secrets]
        out += ["no authorities found, 0 unloaded", "no pools found, 0 unloaded"]
        out += [f"loaded connection '{n}'" for n in connections]
        out.append(f"successfully loaded {len(connections)} connections, {unloaded} unloaded")
        return "\n".join(out) + "\n", 0

    def _swanctl_texts(self, path: str) -> list[tuple[str, str]]:
        text = self.files.get(path, b"").decode(errors="replace")
        texts = [(path, text)]
        for pattern in re.findall(r"^\s*include\s+(\S+)", text, flags=re.M):
            full = posixpath.join(posixpath.dirname(path), pattern)
            for match in sorted(p for p in self.files if fnmatch.fnmatch(p, full)):
                texts.extend(self._swanctl_texts(match))
        return texts

    def tunnel_views(self) -> list[show.SaView]:
        verdict = self.context.verdict(self.running_config())
        views = []
        for index, (name, conn) in enumerate(self.connections.items(), start=1):
            remote = str(conn.get("remote_addrs", "")).split(",")[0].strip()
            local = str(conn.get("local_addrs", "")).split(",")[0].strip() or self.outside_ip
            tunnel = verdict.tunnel(remote)
            views.append(
                show.SaView(
                    name=name,
                    local=local,
                    remote=remote,
                    ike_version=1 if str(conn.get("version", "2")) == "1" else 2,
                    ike_up=tunnel.ike_up,
                    ipsec_up=tunnel.ipsec_up,
                    index=index,
                    nat_t=str(conn.get("encap", "no")) == "yes",
                    algorithms=swan_algorithms(
                        str(conn.get("proposals", "aes256-sha256-modp2048"))
                    ),
                )
            )
        return views

    def bgp_view(self) -> show.BgpView | None:
        m = re.search(r"^router bgp (\d+)", self.frr_running, flags=re.M)
        if m is None:
            return None
        verdict = self.context.verdict(self.running_config())
        peers = []
        for address, asn in re.findall(
            r"^\s*neighbor (\S+) remote-as (\d+)", self.frr_running, re.M
        ):
            bgp = verdict.neighbor(address)
            peers.append(
                show.BgpPeerView(address, int(asn), bgp.established, len(bgp.prefixes_received))
            )
        rid = re.search(r"^\s*bgp router-id (\S+)", self.frr_running, flags=re.M)
        return show.BgpView(int(m.group(1)), rid.group(1) if rid else self.outside_ip, tuple(peers))


FrrNode = tuple[str, list["FrrNode"]]
# Lines that only end a block or separate blocks in FRR configuration text.
FRR_BLOCK_ENDS = ("!", "exit", "exit-address-family", "end")


def frr_tree(text: str) -> list[FrrNode]:
    """FRR configuration text as a tree by indentation (block ends and comments dropped)."""
    root: list[FrrNode] = []
    stack: list[tuple[int, list[FrrNode]]] = [(-1, root)]
    for raw in text.splitlines():
        line = raw.rstrip()
        if not line.strip() or line.strip() in FRR_BLOCK_ENDS:
            continue
        depth = len(line) - len(line.lstrip())
        while stack[-1][0] >= depth:
            stack.pop()
        node: FrrNode = (line.strip(), [])
        stack[-1][1].append(node)
        stack.append((depth, node[1]))
    return root


def _frr_apply(nodes: list[FrrNode], changes: list[FrrNode]) -> None:
    """Merge `changes` into `nodes`: `no X` removes X (and `no neighbor A` all of A's lines)."""
    for line, children in changes:
        if line.startswith("no "):
            _frr_remove(nodes, line[3:], recursive=line.startswith("no neighbor "))
            continue
        existing = next((n for n in nodes if n[0] == line), None)
        if existing is None:
            existing = (line, [])
            nodes.append(existing)
        _frr_apply(existing[1], children)


def _frr_remove(nodes: list[FrrNode], line: str, *, recursive: bool) -> None:
    nodes[:] = [n for n in nodes if n[0] != line and not n[0].startswith(line + " ")]
    if recursive:
        for _, children in nodes:
            _frr_remove(children, line, recursive=True)


# Top-level statements FRR prints first, as one group closed by a single `!`.
FRR_HEADER = ("frr version", "frr defaults", "hostname", "log ", "service ")


def _frr_lines(nodes: list[FrrNode], depth: int = 0) -> list[str]:
    """FRR's text for a tree: at top level a `!` after the header group and after every other
    statement, as `write memory` prints it (assumption: FRR 8.4's exact separators vary by
    statement; the lab needs only that a file it writes reads back to the same text)."""
    lines: list[str] = []
    for index, (line, children) in enumerate(nodes):
        lines.append(" " * depth + line)
        lines.extend(_frr_lines(children, depth + 1))
        if depth:
            continue
        following = nodes[index + 1][0] if index + 1 < len(nodes) else ""
        if not line.startswith(FRR_HEADER) or not following.startswith(FRR_HEADER):
            lines.append("!")
    return lines


def merge_frr(running: str, fragment: str) -> str:
    """The running config after `vtysh -f` of `fragment` (enough FRR semantics for the lab)."""
    tree = frr_tree(running)
    _frr_apply(tree, frr_tree(fragment))
    return "\n".join(_frr_lines(tree)) + "\n"


def swan_algorithms(proposal: str) -> show.Algorithms:
    """SaView algorithm fields from a strongSwan proposal string such as aes256gcm16-modp2048."""
    first = proposal.split(",")[0]
    parts = first.split("-")
    encryption = "aes-cbc-256"
    integrity = "sha256"
    group = 14
    groups = {
        "modp1024": 2,
        "modp1536": 5,
        "modp2048": 14,
        "modp3072": 15,
        "modp4096": 16,
        "ecp256": 19,
        "ecp384": 20,
        "ecp521": 21,
    }
    for part in parts:
        if m := re.fullmatch(r"aes(\d+)gcm\d*", part):
            encryption, integrity = f"aes-gcm-{m.group(1)}", ""
        elif m := re.fullmatch(r"aes(\d+)", part):
            encryption = f"aes-cbc-{m.group(1)}"
        elif part in ("sha1", "sha256", "sha384", "sha512"):
            integrity = part if integrity else integrity
        elif part in groups:
            group = groups[part]
    return show.Algorithms(encryption, integrity, group)


@dataclass
class Result:
    output: str = ""
    status: int = 0


Command = Callable[[list[str], bytes], Result]


class LinuxShell:
    """One root SSH session on the host."""

    echo = True

    def __init__(self, state: LinuxState) -> None:
        self.state = state
        self.cwd = "/root"
        self.status = 0
        self._heredoc: tuple[str, str, list[str]] | None = None  # (line, delimiter, body)
        self.commands: dict[str, Command] = {
            "echo": self._echo,
            "printf": self._printf,
            "cat": self._cat,
            "mkdir": self._mkdir,
            "mv": self._mv,
            "cp": self._cp,
            "rm": self._rm,
            "chmod": self._chmod,
            "chown": lambda a, i: Result(),
            "touch": self._touch,
            "test": self._test,
            "[": self._test,
            "sha256sum": self._sha256sum,
            "md5sum": self._md5sum,
            "base64": self._base64,
            "ls": self._ls,
            "true": lambda a, i: Result(),
            "false": lambda a, i: Result(status=1),
            "hostname": lambda a, i: Result(self.state.context.hostname + "\n"),
            "whoami": lambda a, i: Result("root\n"),
            "pwd": lambda a, i: Result(self.cwd + "\n"),
            "cd": self._cd,
            "sync": lambda a, i: Result(),
            "id": lambda a, i: Result("uid=0(root) gid=0(root) groups=0(root)\n"),
            "uname": lambda a, i: Result(
                "Linux "
                + self.state.context.hostname
                + " 6.1.0-27-amd64 #1 SMP Debian 6.1.115-1 x86_64 GNU/Linux\n"
            ),
            "swanctl": self._swanctl,
            "sh": self._sh,
            "trap": lambda a, i: Result(),
            "vtysh": self._vtysh,
            "ip": self._ip,
            "systemctl": self._systemctl,
            "sysctl": lambda a, i: Result(),
            "wc": self._wc,
            "stat": self._stat,
        }

    def greeting(self) -> str:
        return (
            "Linux branch 6.1.0-27-amd64 #1 SMP Debian 6.1.115-1 x86_64\n\n"
            "Last login: Sun Nov 30 17:00:00 2025\n"
        )

    def prompt(self) -> str:
        if self._heredoc is not None:
            return "> "
        where = "~" if self.cwd == "/root" else self.cwd
        return f"root@{self.state.context.hostname}:{where}# "

    def invalid(self, line: str) -> Reply:
        name = line.split()[0] if line.split() else line
        self.status = 127
        return Reply(f"-bash: {name}: command not found\n")

    def handle(self, line: str) -> Reply:
        if self._heredoc is not None:
            pending, delimiter, body = self._heredoc
            if line.strip() == delimiter:
                self._heredoc = None
                return Reply(self._run_line(pending, "".join(b + "\n" for b in body)))
            body.append(line)
            return Reply()
        if not line.strip() or line.strip().startswith("#"):
            return Reply()
        m = re.search(r"<<-?\s*(['\"]?)(\w+)\1", line)
        if m:
            self._heredoc = (line[: m.start()] + line[m.end() :], m.group(2), [])
            return Reply()
        if line.strip() in ("exit", "logout"):
            return Reply(close=True)
        return Reply(self._run_line(line, None))

    # ------------------------------------------------------------ parsing and running

    def _run_line(self, line: str, heredoc: str | None) -> str:
        try:
            lexer = shlex.shlex(line, posix=True, punctuation_chars=";&|<>")
            lexer.whitespace_split = True
            words = list(lexer)
        except ValueError:
            self.status = 2
            return "-bash: syntax error: unexpected end of file\n"
        output = []
        skip = False
        chunk: list[str] = []
        for word in [*words, ";"]:
            if word in (";", "&&", "||"):
                if chunk and not skip:
                    output.append(self._run_pipeline(chunk, heredoc))
                    heredoc = None
                chunk = []
                skip = (word == "&&" and self.status != 0) or (word == "||" and self.status == 0)
                continue
            chunk.append(word)
        return "".join(output)

    def _run_pipeline(self, words: list[str], stdin_text: str | None) -> str:
        stages: list[list[str]] = [[]]
        for word in words:
            if word == "|":
                stages.append([])
            else:
                stages[-1].append(word)
        data = stdin_text.encode() if stdin_text is not None else b""
        shown = ""
        for i, stage in enumerate(stages):
            result_text, data_out = self._run_simple(stage, data)
            data = data_out
            if i == len(stages) - 1:
                shown = result_text
        return shown

    def _run_simple(self, words: list[str], stdin: bytes) -> tuple[str, bytes]:
        args, target, append, quiet = self._redirections(words)
        args = [a.replace("$?", str(self.status)) for a in args]
        args = [e for a in args for e in self._glob(a)]
        if not args:
            return "", b""
        command = self.commands.get(args[0]) or self._script(args[0])
        if command is None:
            self.status = 127
            return ("" if quiet else f"-bash: {args[0]}: command not found\n"), b""
        result = command(args[1:], stdin)
        self.status = result.status
        out = result.output.encode() if isinstance(result.output, str) else result.output
        if target == "/dev/null":
            return "", b""
        if target is not None:
            error = self._write(target, out, append)
            if error:
                self.status = 1
                return error, b""
            return "", out
        if result.status != 0 and quiet:
            return "", b""
        return out.decode(errors="replace"), out

    def _redirections(self, words: list[str]) -> tuple[list[str], str | None, bool, bool]:
        """Strip `>`, `>>`, `2>/dev/null`, `2>&1`: (args, stdout file, append, quiet)."""
        args: list[str] = []
        target: str | None = None
        append = quiet = False
        i = 0
        while i < len(words):
            word, following = words[i], words[i + 1] if i + 1 < len(words) else ""
            if word not in (">", ">>", ">&"):
                args.append(word)
                i += 1
                continue
            from_stderr = bool(args) and args[-1] == "2"
            if from_stderr:
                args.pop()
            if word == ">&" or following.startswith("&"):
                pass  # 2>&1: everything reaches the terminal anyway
            elif from_stderr:
                quiet = quiet or following == "/dev/null"
            else:
                target, append = following, word == ">>"
            i += 2
        return args, target, append, quiet

    def _glob(self, word: str) -> list[str]:
        """A word with `*` or `?` expanded to the matching paths, sorted; unmatched: itself."""
        if "*" not in word and "?" not in word:
            return [word]
        full = self._path(word)
        matches = sorted(
            p for p in [*self.state.files, *self.state.dirs] if fnmatch.fnmatch(p, full)
        )
        return matches or [word]

    def _sh(self, args: list[str], stdin: bytes) -> Result:
        """`sh -c 'LINE'` runs LINE; `sh FILE` runs FILE's simple command lines in order."""
        if args[:1] == ["-c"] and len(args) > 1:
            return Result(self._run_line(args[1], None), self.status)
        script = self._read(args[0]) if args else None
        if script is None:
            return Result(f"sh: 0: cannot open {args[0] if args else ''}: No such file\n", 2)
        out = [self._run_line(line, None) for line in script.decode().splitlines()]
        return Result("".join(out), self.status)

    def _script(self, name: str) -> Command | None:
        """An executable file named by path runs (recorded, not interpreted) and succeeds."""
        full = self._path(name)
        if "/" not in name or full not in self.state.files:
            return None
        if not self.state.modes.get(full, 0o644) & 0o111:
            return lambda a, i: Result(f"-bash: {name}: Permission denied\n", 126)

        def run(args: list[str], stdin: bytes) -> Result:
            self.state.context.log(f"ran {full}")
            return Result()

        return run

    # ------------------------------------------------------------ files

    def _path(self, path: str) -> str:
        path = path.replace("~", "/root", 1) if path.startswith("~") else path
        return posixpath.normpath(posixpath.join(self.cwd, path))

    def _write(self, path: str, data: bytes, append: bool) -> str:
        full = self._path(path)
        if posixpath.dirname(full) not in self.state.dirs:
            return f"-bash: {path}: No such file or directory\n"
        if full in self.state.dirs:
            return f"-bash: {path}: Is a directory\n"
        self.state.files[full] = (self.state.files.get(full, b"") if append else b"") + data
        return ""

    def _read(self, path: str) -> bytes | None:
        return self.state.files.get(self._path(path))

    def _echo(self, args: list[str], stdin: bytes) -> Result:
        newline = "\n"
        if args[:1] == ["-n"]:
            args, newline = args[1:], ""
        return Result(" ".join(args) + newline)

    def _printf(self, args: list[str], stdin: bytes) -> Result:
        if not args:
            return Result(status=1)
        template = args[0].encode().decode("unicode_escape")
        values = iter(args[1:])
        return Result(re.sub(r"%s", lambda m: next(values, ""), template).replace("%%", "%"))

    def _cat(self, args: list[str], stdin: bytes) -> Result:
        files = [a for a in args if not a.startswith("-")]
        if not files:
            return Result(stdin.decode(errors="replace"))
        out, status = [], 0
        for name in files:
            data = self._read(name)
            if data is None:
                problem = (
                    "Is a directory"
                    if self._path(name) in self.state.dirs
                    else "No such file or directory"
                )
                out.append(f"cat: {name}: {problem}\n")
                status = 1
            else:
                out.append(data.decode(errors="replace"))
        return Result("".join(out), status)

    def _mkdir(self, args: list[str], stdin: bytes) -> Result:
        parents = "-p" in args
        for name in (a for a in args if not a.startswith("-")):
            full = self._path(name)
            if not parents and posixpath.dirname(full) not in self.state.dirs:
                return Result(
                    f"mkdir: cannot create directory '{name}': No such file or directory\n", 1
                )
            while full not in self.state.dirs and full != "/":
                self.state.dirs.add(full)
                if not parents:
                    break
                full = posixpath.dirname(full)
        return Result()

    def _mv(self, args: list[str], stdin: bytes) -> Result:
        names = [a for a in args if not a.startswith("-")]
        if len(names) != 2:
            return Result("mv: missing destination file operand\n", 1)
        source, target = self._path(names[0]), self._path(names[1])
        if source not in self.state.files:
            return Result(f"mv: cannot stat '{names[0]}': No such file or directory\n", 1)
        if target in self.state.dirs:
            target = posixpath.join(target, posixpath.basename(source))
        if posixpath.dirname(target) not in self.state.dirs:
            return Result(
                f"mv: cannot move '{names[0]}' to '{names[1]}': No such file or directory\n", 1
            )
        self.state.files[target] = self.state.files.pop(source)
        if source in self.state.modes:
            self.state.modes[target] = self.state.modes.pop(source)
        return Result()

    def _cp(self, args: list[str], stdin: bytes) -> Result:
        names = [a for a in args if not a.startswith("-")]
        if len(names) != 2 or self._read(names[0]) is None:
            return Result(
                f"cp: cannot stat '{names[0] if names else ''}': No such file or directory\n", 1
            )
        data = self._read(names[0]) or b""
        return Result(self._write(names[1], data, append=False), 0)

    def _rm(self, args: list[str], stdin: bytes) -> Result:
        force = any(a.startswith("-") and "f" in a for a in args)
        status = 0
        for name in (a for a in args if not a.startswith("-")):
            full = self._path(name)
            if full in self.state.files:
                del self.state.files[full]
            elif not force:
                status = 1
                return Result(f"rm: cannot remove '{name}': No such file or directory\n", status)
        return Result()

    def _chmod(self, args: list[str], stdin: bytes) -> Result:
        if len(args) < 2 or not re.fullmatch(r"[0-7]{3,4}", args[0]):
            return Result("chmod: invalid mode\n", 1)
        for name in args[1:]:
            full = self._path(name)
            if full not in self.state.files and full not in self.state.dirs:
                return Result(f"chmod: cannot access '{name}': No such file or directory\n", 1)
            self.state.modes[full] = int(args[0], 8)
        return Result()

    def _touch(self, args: list[str], stdin: bytes) -> Result:
        for name in args:
            full = self._path(name)
            self.state.files.setdefault(full, b"")
        return Result()

    def _test(self, args: list[str], stdin: bytes) -> Result:
        if args[-1:] == ["]"]:
            args = args[:-1]
        negate = args[:1] == ["!"]
        args = args[1:] if negate else args
        if len(args) != 2:
            return Result(status=2)
        full = self._path(args[1])
        checks = {
            "-f": full in self.state.files,
            "-d": full in self.state.dirs,
            "-e": full in self.state.files or full in self.state.dirs,
            "-s": bool(self.state.files.get(full)),
        }
        ok = checks.get(args[0], False) != negate
        return Result(status=0 if ok else 1)

    def _digest(self, name: str, args: list[str], stdin: bytes) -> Result:
        files = [a for a in args if not a.startswith("-")]
        if not files:
            return Result(f"{hashlib.new(name, stdin).hexdigest()}  -\n")
        out, status = [], 0
        for file in files:
            data = self._read(file)
            if data is None:
                out.append(f"{name}sum: {file}: No such file or directory\n")
                status = 1
            else:
                out.append(f"{hashlib.new(name, data).hexdigest()}  {file}\n")
        return Result("".join(out), status)

    def _sha256sum(self, args: list[str], stdin: bytes) -> Result:
        return self._digest("sha256", args, stdin)

    def _md5sum(self, args: list[str], stdin: bytes) -> Result:
        return self._digest("md5", args, stdin)

    def _base64(self, args: list[str], stdin: bytes) -> Result:
        files = [a for a in args if not a.startswith("-")]
        data = (self._read(files[0]) or b"") if files else stdin
        if "-d" in args or "--decode" in args:
            try:
                return Result(
                    base64.b64decode(b"".join(data.split()), validate=True).decode(
                        "utf-8", errors="surrogateescape"
                    )
                )
            except (binascii.Error, ValueError):
                return Result("base64: invalid input\n", 1)
        return Result(base64.encodebytes(data).decode())

    def _ls(self, args: list[str], stdin: bytes) -> Result:
        paths = [a for a in args if not a.startswith("-")] or [self.cwd]
        out = []
        for path in paths:
            full = self._path(path)
            if full in self.state.files:
                out.append(path)
                continue
            if full not in self.state.dirs:
                return Result(f"ls: cannot access '{path}': No such file or directory\n", 2)
            prefix = full.rstrip("/") + "/"
            entries = {
                p[len(prefix) :].split("/")[0]
                for p in [*self.state.files, *self.state.dirs]
                if p.startswith(prefix) and p != full
            }
            out.extend(sorted(entries))
        return Result("".join(e + "\n" for e in out))

    def _cd(self, args: list[str], stdin: bytes) -> Result:
        full = self._path(args[0]) if args else "/root"
        if full not in self.state.dirs:
            return Result(f"-bash: cd: {args[0]}: No such file or directory\n", 1)
        self.cwd = full
        return Result()

    def _wc(self, args: list[str], stdin: bytes) -> Result:
        data = (self._read(args[-1]) or b"") if args and not args[-1].startswith("-") else stdin
        if "-c" in args:
            return Result(f"{len(data)}\n")
        lines = data.count(b"\n")
        return Result(f"{lines}\n")

    def _stat(self, args: list[str], stdin: bytes) -> Result:
        name = args[-1] if args else ""
        full = self._path(name)
        if full not in self.state.files:
            return Result(f"stat: cannot statx '{name}': No such file or directory\n", 1)
        if "-c" in args:
            mode = self.state.modes.get(full, 0o644)
            fmt = args[args.index("-c") + 1]
            return Result(
                fmt.replace("%a", f"{mode:o}")
                .replace("%s", str(len(self.state.files[full])))
                .replace("%n", name)
                + "\n"
            )
        return Result(f"  File: {name}\n  Size: {len(self.state.files[full])}\n")

    # ------------------------------------------------------------ services

    def _swanctl(self, args: list[str], stdin: bytes) -> Result:
        option = args[0] if args else ""
        if option in ("--load-all", "-q"):
            output, status = self.state.load_all()
            return Result(output, status)
        if option in ("--list-sas", "-l"):
            return Result(show.swanctl_list_sas(self.state.tunnel_views()))
        if option in ("--list-conns", "-L"):
            return Result(self._list_conns())
        if option in ("--initiate", "-i", "--terminate", "-t"):
            return Result()
        if option in ("--version", "-v"):
            return Result("strongSwan swanctl 5.9.8\n")
        if option in ("--reload-settings", "-r"):
            return Result()
        return Result("swanctl: unknown option\n", 1)

    def _list_conns(self) -> str:
        out = []
        for name, conn in self.state.connections.items():
            version = "IKEv1" if str(conn.get("version", "2")) == "1" else "IKEv2"
            rekey = conn.get("rekey_time", "14400s")
            out += [
                f"{name}: {version}, no reauthentication, rekeying every {rekey}",
                f"  local:  {conn.get('local_addrs', '%any')}",
                f"  remote: {conn.get('remote_addrs', '%any')}",
            ]
            for side in ("local", "remote"):
                section = next(
                    (v for k, v in conn.items() if k.startswith(side) and isinstance(v, dict)), {}
                )
                assert isinstance(section, dict)
                out += [
                    f"  {side} pre-shared key authentication:",
                    f"    id: {section.get('id', '%any')}",
                ]
            children = conn.get("children", {})
            if isinstance(children, dict):
                for child, settings in children.items():
                    assert isinstance(settings, dict)
                    out += [
                        f"  {child}: TUNNEL, rekeying every {settings.get('rekey_time', '3600s')}",
                        f"    local:  {settings.get('local_ts', 'dynamic')}",
                        f"    remote: {settings.get('remote_ts', 'dynamic')}",
                    ]
        return "\n".join(out) + ("\n" if out else "")

    def _vtysh(self, args: list[str], stdin: bytes) -> Result:
        if args[:1] == ["-b"]:
            self.state.reload_frr()
            return Result()
        if args[:1] == ["-f"] and len(args) > 1:
            if self._read(args[1]) is None:
                return Result(f"vtysh: {args[1]}: No such file or directory\n", 1)
            self.state.apply_frr(self._read(args[1]) or b"")
            return Result()
        commands = [args[i + 1] for i, a in enumerate(args[:-1]) if a == "-c"]
        out = []
        for command in commands:
            words = " ".join(command.split())
            if words in (
                "show bgp summary",
                "show ip bgp summary",
                "show bgp ipv4 unicast summary",
            ):
                out.append(show.frr_bgp_summary(self.state.bgp_view()))
            elif words in ("show running-config", "show run", "write terminal"):
                out.append(
                    "Building configuration...\n\nCurrent configuration:\n!\n"
                    + self.state.frr_running
                    + "!\nend\n"
                )
            elif words in ("write memory", "write", "copy running-config startup-config"):
                self.state.files[FRR_CONF] = self.state.frr_running.encode()
                out.append(
                    "Note: this version of vtysh never writes vtysh.conf\n"
                    "Building Configuration...\n"
                    "Integrated configuration saved to /etc/frr/frr.conf\n[OK]\n"
                )
            else:
                return Result(f"% Unknown command: {command}\n", 1)
        return Result("".join(out))

    def _systemctl(self, args: list[str], stdin: bytes) -> Result:
        verb, unit = [*args, "", ""][:2]
        unit = unit.removesuffix(".service")
        if verb in ("reload", "restart", "start") and unit == "frr":
            self.state.reload_frr()
            return Result()
        if verb in ("reload", "restart", "start") and unit in ("strongswan", "strongswan-swanctl"):
            self.state.load_all()
            return Result()
        if verb == "is-active":
            return Result("active\n")
        return Result(f"Failed to {verb} {unit}.service: Unit {unit}.service not found.\n", 5)

    def _ip(self, args: list[str], stdin: bytes) -> Result:
        brief = args[:1] in (["-br"], ["-brief"])
        rest = args[1:] if brief else args
        links = self.state.links
        if brief and rest[:1] in (["link"], ["l"]):
            lines = [
                f"{n.name:<17}{('UNKNOWN' if n.name == 'lo' else 'UP' if n.up else 'DOWN'):<15}"
                f"{n.mac} <{n.flags if n.up else 'BROADCAST,MULTICAST'}> "
                for n in links.values()
            ]
            return Result("\n".join(lines) + "\n")
        if brief and rest[:1] in (["addr"], ["address"], ["a"]):
            lines = [
                f"{n.name:<17}{('UNKNOWN' if n.name == 'lo' else 'UP' if n.up else 'DOWN'):<15}"
                + " ".join(n.addresses)
                + " "
                for n in links.values()
            ]
            return Result("\n".join(lines) + "\n")
        if rest[:2] == ["link", "add"] and len(rest) > 2:
            name = rest[2]
            if name in links:
                return Result("RTNETLINK answers: File exists\n", 2)
            links[name] = Link(name, "00:00:00:00:00:00", up=False, flags="NOARP,UP,LOWER_UP")
            return Result()
        if rest[:2] == ["link", "set"] and len(rest) > 3:
            link = links.get(rest[2])
            if link is None:
                return Result(f'Cannot find device "{rest[2]}"\n', 1)
            link.up = rest[3] == "up"
            return Result()
        if rest[:2] in (["addr", "add"], ["address", "add"]) and "dev" in rest:
            link = links.get(rest[rest.index("dev") + 1])
            if link is None:
                return Result(f'Cannot find device "{rest[rest.index("dev") + 1]}"\n', 1)
            link.addresses.append(rest[2])
            return Result()
        if rest[:2] in (["link", "del"], ["link", "delete"]) and len(rest) > 2:
            links.pop(rest[2], None)
            return Result()
        return Result(
            'Object "' + (rest[0] if rest else "") + '" is unknown, try "ip help".\n', 255
        )


def _build_linux(setup: RouterSetup) -> tuple[LinuxState, Callable[[], LinuxShell]]:
    """A host as after boot: seed files, then `setup.initial_files` (swanctl loaded, FRR read).

    `setup.initial_config` is the host's /etc/frr/frr.conf.
    """
    state = LinuxState(setup.context, outside_ip=setup.outside_ip)
    state.seed()
    files = dict(setup.initial_files)
    if setup.initial_config is not None:
        files[FRR_CONF] = setup.initial_config
    for path, content in files.items():
        directory = posixpath.dirname(path)
        while directory not in state.dirs:
            state.dirs.add(directory)
            directory = posixpath.dirname(directory)
        state.files[path] = content.encode()
    if any(p.startswith(posixpath.dirname(SWANCTL_CONF) + "/") for p in setup.initial_files):
        state.load_all()  # charon loads its configuration at start
    if FRR_CONF in files:
        state.reload_frr()
    return state, lambda: LinuxShell(state)


SIMULATOR = Simulator(
    kind="linux",
    platforms=("strongswan",),
    default_username="root",  # cgw's strongswan platform manages the host as root
    wan_interface="eth0",
    build=_build_linux,
    inventory_local={"strongswan_dataplane": "xfrm", "strongswan_bgp": "frr"},
    saved_files=lambda state: {p: b.decode(errors="replace") for p, b in state.files.items()},
)
