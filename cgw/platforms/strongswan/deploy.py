"""Diff and push for a strongSwan host: cgw's files compared as text and replaced atomically.

What cgw owns on the host are files named after the VPN (swanctl conf.d file, charon settings,
interface script, FRR fragment). A push stages every new file beside its target (base64 in short
lines, so no line approaches the pty's ~500-character limit; mode 0600 before any byte lands;
checked by SHA-256), then ONE `sh` run that ignores SIGHUP renames them all into place: that run
is the commit point, so a dropped connection leaves the old files or the new ones. It then
activates them: `swanctl --reload-settings`, the interface script, `swanctl --load-all`, and FRR.
The script runs before the connections load: with libipsec it moves charon's routing rule behind
the main table (charon reads routing_table_prio only at start, and cgw never restarts charon),
so the first SA's 0.0.0.0/0 route into ipsec0 cannot take this SSH session's replies.

FRR reads only /etc/frr/frr.conf at start and has no include, so the fragment reaches bgpd with
`vtysh -f` (additive), after a generated file of `no` lines for what the old fragment had and the
new one lacks; `vtysh -c 'write memory'` then makes the result persistent. Debian's frr package
ships `frr-reload.py` only in frr-pythontools, and it reloads the whole frr.conf, so it is not
used. A failed step restores the backup's files and activates them again; after a dropped
connection, `recover()` does the same on a new session.
"""

from __future__ import annotations

import base64
import contextlib
import fnmatch
import hashlib
import posixpath
import re
import shlex
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Final

from cgw.errors import DeviceError, ParseError
from cgw.model import Device, DeviceConfig, DeviceFile, RenderedConfig, VpnConnection
from cgw.platforms._common import object_prefix
from cgw.platforms.base import FileChange, Plan
from cgw.platforms.strongswan.layout import host_files
from cgw.secrets import Masker
from cgw.session import Channel, Session

# Every file cgw may own on a host, whatever the VPN: `read_running` lists these globs.
CGW_FILE_PATTERNS: Final = (
    "/etc/swanctl/conf.d/aws-vpn-*.conf",
    "/etc/strongswan.d/aws-vpn-*.conf",
    "/etc/cgw/aws-vpn-*-interfaces.sh",
    "/etc/frr/cgw-aws-vpn-*.conf",
)
SWANCTL_DIR: Final = "/etc/swanctl/conf.d/"
SETTINGS_DIR: Final = "/etc/strongswan.d/"
FRR_DIR: Final = "/etc/frr/"
SCRIPT_SUFFIX: Final = "-interfaces.sh"
COMMIT_SCRIPT: Final = "/etc/cgw/.cgw-commit.sh"
STAGE_SUFFIX: Final = ".cgw-new"
FRR_REMOVAL_SUFFIX: Final = ".cgw-remove"
# Base64 characters per upload line; with the command around it a line stays under 400.
CHUNK_CHARS: Final = 300
# Longest line cgw composes where it can choose (netmiko's pty is 511 columns wide).
LINE_CHARS: Final = 400

FILE_MARK: Final = "@@cgw-file"
MISSING_MARK: Final = "@@cgw-missing"
LIST_MARK: Final = "@@cgw-list"
STATUS_MARK: Final = "@@cgw-rc"
COMMITTED_MARK: Final = "@@cgw-committed"
PSK_LINE = re.compile(r'^\s*secret\s*=\s*"([^"]*)"', re.M)
# The line numbers / lines of output a failure message quotes at most.
ERROR_LINES: Final = 3

HostFiles = dict[str, str | None]  # path -> content, None where the file does not exist


# --- the running text: every cgw file with its content, or marked missing ------------------
def format_files(files: Mapping[str, str | None]) -> str:
    """Host files as one text for people: a `### cgw-file PATH (N characters)` header each."""
    parts = []
    for path in sorted(files):
        content = files[path]
        if content is None:
            parts.append(f"### cgw-file {path} (missing)\n")
        else:
            parts.append(f"### cgw-file {path} ({len(content)} characters)\n{content}\n")
    return "".join(parts)


def host_config(device: Device, files: Mapping[str, str | None]) -> DeviceConfig:
    """Host files as a DeviceConfig, in path order."""
    return DeviceConfig(
        device.name, device.platform, tuple(DeviceFile(p, files[p]) for p in sorted(files))
    )


def vpn_files(files: Mapping[str, str | None], vpn_id: str) -> HostFiles:
    """The files of one VPN among a host's cgw files (each path names the VPN)."""
    return {path: content for path, content in files.items() if f"aws-{vpn_id}" in path}


def managed_files(device: Device, vpn: VpnConnection) -> dict[str, int]:
    """path -> mode of each file cgw owns for this VPN (the FRR fragment always, to prune it)."""
    files = {path: mode for path, _, mode in host_files(device, vpn)}
    files.setdefault(f"{FRR_DIR}cgw-{object_prefix(vpn)}.conf", 0o600)
    return files


def file_mode(path: str) -> int:
    """The mode cgw gives a file it owns: scripts 0700, everything else 0600."""
    return 0o700 if path.endswith(SCRIPT_SUFFIX) else 0o600


# --- FRR: what `vtysh -f` must remove before the new fragment is added ----------------------
FrrNode = tuple[str, list["FrrNode"]]
FRR_BLOCK_ENDS: Final = ("!", "exit", "exit-address-family", "end")
# Blocks other configuration shares: cgw removes its own lines inside, never the block.
SHARED_BLOCKS: Final = ("router bgp", "address-family")


def frr_tree(text: str) -> list[FrrNode]:
    """An FRR config fragment as a tree by indentation (block ends and `!` dropped)."""
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


def frr_removals(old: str, new: str) -> tuple[str, ...]:
    """`no` lines (in their blocks) removing what the old fragment had and the new one lacks."""
    return tuple(_removals(frr_tree(old), frr_tree(new), 0, frozenset()))


def _removed_neighbors(old: Sequence[FrrNode], new_lines: set[str]) -> frozenset[str]:
    """Neighbours whose `remote-as` line goes: `no neighbor A` removes all of A at once."""
    return frozenset(
        line.split()[1]
        for line, _ in old
        if re.fullmatch(r"neighbor \S+ remote-as \S+", line) and line not in new_lines
    )


def _removals(
    old: Sequence[FrrNode], new: Sequence[FrrNode], depth: int, gone: frozenset[str]
) -> list[str]:
    new_children = {line: children for line, children in new}
    gone = gone | _removed_neighbors(old, set(new_children))
    indent = " " * depth
    lines: list[str] = []
    for line, children in old:
        words = line.split()
        if words[:1] == ["neighbor"] and len(words) > 1 and words[1] in gone:
            if " remote-as " in line and line not in new_children:
                lines.append(f"{indent}no neighbor {words[1]}")
            continue
        if line in new_children or line.startswith(SHARED_BLOCKS):
            inner = _removals(children, new_children.get(line, []), depth + 1, gone)
            if inner:
                end = "exit-address-family" if line.startswith("address-family") else "exit"
                lines += [f"{indent}{line}", *inner, f"{indent}{end}"]
            continue
        lines.append(f"{indent}no {line}")
    return lines


# --- activation: what runs on the host after the files are in place -------------------------
@dataclass(frozen=True)
class Step:
    """One shell command run after the commit; `tolerant` steps may fail without rollback."""

    command: str
    tolerant: bool = False


def stage_path(path: str) -> str:
    """The staged copy beside a target: hidden, and never matching the `*.conf` includes."""
    directory, name = posixpath.split(path)
    return posixpath.join(directory, f".{name}{STAGE_SUFFIX}")


def frr_removal_path(path: str) -> str:
    directory, name = posixpath.split(path)
    return posixpath.join(directory, f".{name}{FRR_REMOVAL_SUFFIX}")


def activation_steps(
    changes: Sequence[FileChange], target: Mapping[str, str | None], root: str = ""
) -> list[Step]:
    """The commands that make the changed files live, in order."""
    changed = {c.path for c in changes}
    steps: list[Step] = []
    if any(p.startswith(SETTINGS_DIR) for p in changed):
        steps.append(Step("swanctl --reload-settings"))
    # The interface script before the connections: tunnel interfaces exist before SAs bind to
    # them, and (libipsec) charon's routing rule sits behind main before an SA routes
    # 0.0.0.0/0 into ipsec0, so this very SSH session keeps its route.
    for path, content in sorted(target.items()):
        if path.endswith(SCRIPT_SUFFIX) and content is not None and changes:
            steps.append(Step(shlex.quote(root + path)))
    if any(p.startswith((SWANCTL_DIR, SETTINGS_DIR)) for p in changed):
        steps.append(Step("swanctl --load-all"))
    for change in changes:
        if not change.path.startswith(FRR_DIR):
            continue
        if frr_removals(change.old or "", change.new or ""):
            # Removing what bgpd may already lack (drift, an interrupted push) must not stop us.
            steps.append(
                Step(f"vtysh -f {shlex.quote(root + frr_removal_path(change.path))}", True)
            )
        if change.new is not None:
            steps.append(Step(f"vtysh -f {shlex.quote(root + change.path)}"))
        steps.append(Step("vtysh -c 'write memory'"))
    return steps


def _secret_masker(texts: Iterable[str | None]) -> Masker:
    """A masker for every `secret = "..."` value in swanctl texts (for error messages)."""
    masker = Masker()
    for text in texts:
        for number, value in enumerate(PSK_LINE.findall(text or ""), start=1):
            masker.add(f"psk:{number}", value, keep_label=True)
    return masker


# --- talking to the host ---------------------------------------------------------------------
class StepFailed(Exception):
    """A host command failed; carries the command and its (unmasked) output."""

    def __init__(self, command: str, output: str) -> None:
        super().__init__(command)
        self.command = command
        self.output = output


def send_lines(session: Session, lines: Sequence[str], read_timeout_s: float = 60) -> str:
    """Type shell lines at once, then read until the exit status the last line prints.

    One round trip for many lines. The status marker is part of the last line, and its `$?`
    never matches `\\d+` in the echo, so only the shell's answer ends the read; a connection
    that goes away ends it at once (netmiko would wait out its read timeout). The output may
    hold staged secrets: errors name the failure, never the data.
    """
    *first, last = lines
    text = "".join(f"{line}\n" for line in [*first, f"{last}; echo {STATUS_MARK} $?"])
    channel = Channel(session)
    done = re.compile(rf"{STATUS_MARK} \d+\s*\n[^\n]*{re.escape(channel.base_prompt)}")
    what = f"{len(lines)} shell line(s)"
    output = channel.exchange(text, lambda out: bool(done.search(out)), what, read_timeout_s)
    return output.replace("\r", "")


def run(session: Session, command: str) -> str:
    """Run one shell command (stderr included); raise StepFailed on a non-zero exit status."""
    output = send_lines(session, [f"{command} 2>&1"])
    lines = output.split("\n")
    for index in range(len(lines) - 1, -1, -1):
        status = re.fullmatch(rf"{STATUS_MARK} (\d+)", lines[index].strip())
        if status is not None:
            body = "\n".join(lines[:index])
            if status.group(1) != "0":
                raise StepFailed(command, body)
            return body
    raise StepFailed(command, output)


def _short_lines(segments: Sequence[str], limit: int = LINE_CHARS) -> list[str]:
    """Segments joined with `;` into as few lines as keep under `limit` characters."""
    lines: list[str] = []
    for segment in segments:
        if lines and len(lines[-1]) + len(segment) + 3 <= limit:
            lines[-1] += f" ; {segment}"
        else:
            lines.append(segment)
    return lines


def read_paths(session: Session, paths: Sequence[str], root: str = "") -> HostFiles:
    """The content of each path (None: missing), as base64 between marker lines."""
    files: HostFiles = {}
    segments = []
    for path in paths:
        quoted = shlex.quote(root + path)
        segments.append(
            f"echo {FILE_MARK} {quoted} ; [ -f {quoted} ] && base64 {quoted} || echo {MISSING_MARK}"
        )
    for line in _short_lines(segments):
        with session.unlogged(f"reading {len(paths)} file(s)"):
            listing = send_lines(session, [line])
        files.update(_parse_listing(listing, root))
    missing = [p for p in paths if p not in files]
    if missing:
        raise DeviceError(f"{session.device.name}: reading {missing[0]} returned nothing")
    return files


def _parse_listing(output: str, root: str) -> HostFiles:
    files: HostFiles = {}
    current: str | None = None
    encoded: list[str] = []

    def finish() -> None:
        if current is not None and current not in files:
            try:
                data = base64.b64decode("".join(encoded), validate=True)
                files[current] = data.decode("utf-8", errors="replace")
            except ValueError:
                raise ParseError(
                    f"strongswan: {current}: unreadable base64 from the host"
                ) from None

    for raw in output.replace("\r", "").split("\n"):
        line = raw.strip()
        if line.startswith(FILE_MARK + " "):
            finish()
            current, encoded = line.split(" ", 1)[1].removeprefix(root), []
        elif line == MISSING_MARK and current is not None:
            files[current] = None
        elif current is not None and re.fullmatch(r"[A-Za-z0-9+/=]+", line):
            encoded.append(line)
    finish()
    return files


def list_cgw_files(session: Session, root: str = "") -> list[str]:
    """Every cgw file on the host (all VPNs), from the shell's expansion of the globs."""
    patterns = " ".join(root + p for p in CGW_FILE_PATTERNS)
    output = send_lines(session, [f"echo {LIST_MARK} {patterns}"])
    for raw in output.split("\n"):
        if raw.strip().startswith(LIST_MARK + " "):
            words = raw.split()[1:]
            return sorted(w.removeprefix(root) for w in words if "*" not in w)
    raise DeviceError(f"{session.device.name}: listing cgw's files gave no answer")


def staged_patterns() -> list[str]:
    """Globs of every hidden file a push stages beside cgw's files (any VPN), and the script."""
    patterns = [COMMIT_SCRIPT, COMMIT_SCRIPT + ".b64"]
    for pattern in CGW_FILE_PATTERNS:
        staged = stage_path(pattern)
        patterns += [staged, staged + ".b64", frr_removal_path(pattern)]
    return patterns


def remove_staged_leftovers(session: Session, root: str = "") -> None:
    """After a cut push: the staged copies it left are removed, so the host is as it was."""
    globs = " ".join(root + pattern for pattern in staged_patterns())
    run(session, f"rm -f {globs}")


def upload(
    session: Session, path: str, content: str, mode: int, chunk_chars: int = CHUNK_CHARS
) -> None:
    """Write `path` (a staged name): created 0600 first, base64 lines, SHA-256 checked."""
    quoted, encoded_path = shlex.quote(path), shlex.quote(path + ".b64")
    directory = shlex.quote(posixpath.dirname(path))
    data = content.encode("utf-8")
    encoded = base64.b64encode(data).decode("ascii")
    lines = [
        f"mkdir -p {directory} && rm -f {quoted} {encoded_path}"
        f" && touch {quoted} {encoded_path} && chmod 600 {quoted} {encoded_path}",
        *(
            f"printf '%s\\n' {encoded[start : start + chunk_chars]} >> {encoded_path}"
            for start in range(0, len(encoded), chunk_chars)
        ),
        f"base64 -d {encoded_path} > {quoted} && rm -f {encoded_path}"
        f" && chmod {mode:o} {quoted} && sha256sum {quoted}",
    ]
    with session.unlogged(f"upload of {path}"):
        output = send_lines(session, lines)
    if hashlib.sha256(data).hexdigest() not in output:
        raise StepFailed(f"upload of {path}", "the staged file's SHA-256 does not match")


def commit_script(changes: Sequence[FileChange], root: str) -> str:
    """The commit point: one shell run, deaf to SIGHUP, that moves every staged file in place."""
    moves = [
        f"mv -f {shlex.quote(root + stage_path(c.path))} {shlex.quote(root + c.path)}"
        if c.new is not None
        else f"rm -f {shlex.quote(root + c.path)}"
        for c in changes
    ]
    return f"trap '' HUP INT TERM\n{' && '.join(moves)} && echo {COMMITTED_MARK}\n"


@dataclass
class HostChange:
    """Files to put in place on one host and everything needed to activate them."""

    session: Session
    changes: tuple[FileChange, ...]
    target: HostFiles
    root: str = ""
    chunk_chars: int = CHUNK_CHARS

    def stage(self) -> None:
        """Upload each new file and the commit script beside their targets; targets untouched."""
        for change in self.changes:
            if change.new is not None:
                self._upload(stage_path(change.path), change.new, change.mode)
            if change.path.startswith(FRR_DIR):
                removals = frr_removals(change.old or "", change.new or "")
                if removals:
                    text = "".join(f"{line}\n" for line in removals)
                    self._upload(frr_removal_path(change.path), text, 0o600)
        self._upload(COMMIT_SCRIPT, commit_script(self.changes, self.root), 0o600)

    def commit(self) -> None:
        """Rename every staged file into place in one run (the only step that changes files)."""
        output = run(self.session, f"sh {shlex.quote(self.root + COMMIT_SCRIPT)}")
        if COMMITTED_MARK not in output:
            raise StepFailed(f"sh {COMMIT_SCRIPT}", output)

    def activate(self) -> None:
        """Load the files now in place: swanctl, charon settings, interfaces, FRR."""
        for step in activation_steps(self.changes, self.target, self.root):
            try:
                output = run(self.session, step.command)
            except StepFailed:
                if step.tolerant:
                    continue
                raise
            if step.command.startswith("swanctl --load-all") and re.search(
                r"(?im)\bfailed\b", output
            ):
                raise StepFailed(step.command, output)

    def clean(self) -> None:
        """Remove staged leftovers (none after a good commit but the helper files)."""
        names = [COMMIT_SCRIPT]
        for change in self.changes:
            names += [stage_path(change.path), stage_path(change.path) + ".b64"]
            names.append(frr_removal_path(change.path))
        quoted = " ".join(shlex.quote(self.root + n) for n in names)
        run(self.session, f"rm -f {quoted}")

    def _upload(self, path: str, content: str, mode: int) -> None:
        upload(self.session, self.root + path, content, mode, self.chunk_chars)


def changes_between(
    current: Mapping[str, str | None], target: Mapping[str, str | None]
) -> tuple[FileChange, ...]:
    """FileChange for every path whose content differs, in path order."""
    return tuple(
        FileChange(path, current.get(path), target.get(path), file_mode(path))
        for path in sorted(set(current) | set(target))
        if current.get(path) != target.get(path)
    )


def restore(
    session: Session,
    backup: Mapping[str, str | None],
    paths: Iterable[str],
    root: str = "",
    chunk_chars: int = CHUNK_CHARS,
) -> int:
    """Put `paths` back as the backup holds them (absent there: removed) and activate them."""
    scope = sorted(set(paths))
    current = read_paths(session, scope, root)
    target = {p: backup.get(p) for p in scope}
    changes = changes_between(current, target)
    if not changes:
        return 0
    host = HostChange(session, changes, target, root, chunk_chars)
    masker = _secret_masker([*current.values(), *target.values()])
    try:
        host.stage()
        host.commit()
        host.activate()
    except StepFailed as failure:
        raise DeviceError(
            f"{session.device.name}: restoring the backup failed at `{failure.command}`: "
            f"{_quote_output(failure.output, masker)}"
        ) from None
    # Leftovers are hidden, never included, and replaced by the next run.
    with contextlib.suppress(StepFailed):
        host.clean()
    for change in changes:
        if change.path.startswith(FRR_DIR) and change.new is None and change.old:
            remove_emptied_bgp_instance(session, change.old, root)
    return len(changes)


FRR_PRUNE_FILE: Final = "/etc/cgw/.cgw-frr-prune.conf"
# What FRR prints inside an instance that holds nothing (block ends, empty address families).
_EMPTY_INSTANCE_LINES = re.compile(r"(address-family \S+( \S+)?|exit-address-family|exit|!|)")


def bgp_instance_lines(running: str, asn: str) -> list[str] | None:
    """The statements inside `router bgp ASN` of FRR's running config; None if no instance."""
    lines = running.replace("\r", "").split("\n")
    try:
        start = next(i for i, line in enumerate(lines) if line.strip() == f"router bgp {asn}")
    except StopIteration:
        return None
    inside = []
    for line in lines[start + 1 :]:
        if line and not line[0].isspace():
            break  # the next top-level statement (FRR 8+ closes the block with `exit`)
        inside.append(line.strip())
    return inside


def remove_emptied_bgp_instance(session: Session, fragment: str, root: str = "") -> None:
    """After cgw's fragment left FRR: `no router bgp ASN` if cgw's removal left it empty.

    cgw removes only its own lines from the shared `router bgp` block; when the backup had no
    fragment and nothing else lives in the instance, the instance itself was cgw's too.
    """
    found = re.search(r"^router bgp (\d+)", fragment, re.M)
    if found is None:
        return
    asn = found.group(1)
    with contextlib.suppress(StepFailed):
        inside = bgp_instance_lines(run(session, "vtysh -c 'show running-config'"), asn)
        if inside is None or not all(_EMPTY_INSTANCE_LINES.fullmatch(line) for line in inside):
            return
        prune = shlex.quote(root + FRR_PRUNE_FILE)
        run(session, f"printf 'no router bgp {asn}\\n' > {prune}")
        try:
            run(session, f"vtysh -f {prune}")
        finally:
            run(session, f"rm -f {prune}")
        run(session, "vtysh -c 'write memory'")


def _quote_output(output: str, masker: Masker) -> str:
    lines = [line.strip() for line in output.splitlines() if line.strip()]
    return masker.mask(" / ".join(lines[-ERROR_LINES:]) or "no output")


# --- the Deployer and its transaction ---------------------------------------------------------
@dataclass
class HostTransaction:
    """Staged files, one renaming run, activation; a failure restores the backup's files."""

    session: Session
    plan: Plan
    backup: DeviceConfig
    root: str = ""
    chunk_chars: int = CHUNK_CHARS
    confirm_after_verify: bool = False
    _host: HostChange | None = field(default=None, repr=False)

    def prepare(self) -> None:
        """Upload every new file beside its target; the targets are not touched yet."""
        target = vpn_files(self.backup.as_dict(), self.plan.vpn_id)
        target.update({c.path: c.new for c in self.plan.files})
        self._host = HostChange(self.session, self.plan.files, target, self.root, self.chunk_chars)
        try:
            self._host.stage()
        except StepFailed as failure:
            raise self._error("staging", failure) from None

    def apply(self) -> None:
        """Rename all staged files in place, then activate; on failure restore and raise."""
        if self._host is None:
            self.prepare()
        assert self._host is not None
        try:
            self._host.commit()
            self._host.activate()
        except StepFailed as failure:
            try:
                self.rollback()
            except DeviceError as restore_error:
                raise self._error("applying", failure, f"; then {restore_error}") from None
            raise self._error("applying", failure, "; the previous files were restored") from None

    def confirm(self) -> None:
        """Nothing stays pending on a host: remove the staged helper files."""
        if self._host is not None:
            with contextlib.suppress(StepFailed):
                self._host.clean()

    def rollback(self) -> None:
        """Put the plan's files back as the backup holds them and activate them again."""
        paths = [c.path for c in self.plan.files]
        restore(self.session, self.backup.as_dict(), paths, self.root, self.chunk_chars)

    def _error(self, what: str, failure: StepFailed, outcome: str = "") -> DeviceError:
        masker = _secret_masker([c.new for c in self.plan.files] + [c.old for c in self.plan.files])
        return DeviceError(
            f"{self.plan.device}: {what} failed at `{failure.command}`: "
            f"{_quote_output(failure.output, masker)}{outcome}"
        )


@dataclass(frozen=True)
class StrongswanDeployer:
    """cgw.push.Deployer for strongSwan hosts; `root` prefixes every host path (tests only)."""

    root: str = ""
    chunk_chars: int = CHUNK_CHARS  # base64 characters per upload line

    def read_running(self, session: Session) -> DeviceConfig:
        """Every cgw file on the host (all VPNs) with its content."""
        files = read_paths(session, list_cgw_files(session, self.root), self.root)
        return host_config(session.device, files)

    def owned(
        self, running: DeviceConfig, device: Device, vpn: VpnConnection, *, prune: bool = False
    ) -> DeviceConfig:
        """Only this VPN's files; those the host lacks have no content.

        With `prune`, every other cgw file on the host too (another VPN's: its path names it),
        so the plan removes them.
        """
        paths = set(managed_files(device, vpn))
        if prune:  # only files cgw writes (its name patterns), whatever else a saved copy holds
            paths |= {
                f.path
                for f in running.files
                if f.content is not None
                and any(fnmatch.fnmatchcase(f.path, p) for p in CGW_FILE_PATTERNS)
            }
        return host_config(device, {path: running.get(path) for path in sorted(paths)})

    def plan(
        self, owned: DeviceConfig, intended: RenderedConfig, device: Device, vpn: VpnConnection
    ) -> Plan:
        """A FileChange per file whose content differs; a stale FRR fragment is removed."""
        current = owned.as_dict()
        target: HostFiles = {path: None for path in {*managed_files(device, vpn), *current}}
        target.update({f.path: f.content for f in intended.files})
        modes = {f.path: f.mode for f in intended.files}
        changes = tuple(
            FileChange(c.path, c.old, c.new, modes.get(c.path, c.mode))
            for c in changes_between({p: current.get(p) for p in target}, target)
        )
        steps = activation_steps(changes, target)
        return Plan(
            device=device.name,
            platform=intended.platform,
            vpn_id=vpn.id,
            running=format_files(current),
            intended=format_files(target),  # the running text's form: in sync, no diff
            commands=tuple(s.command for s in steps) if changes else (),
            files=changes,
            notes=_plan_notes(changes),
        )

    def transaction(self, session: Session, plan: Plan, backup: DeviceConfig) -> HostTransaction:
        return HostTransaction(session, plan, backup, self.root, self.chunk_chars)

    def recover(self, session: Session, device: Device, backup: DeviceConfig) -> str:
        """After a dropped push: every cgw file back as the backup holds it, and reloaded."""
        files = backup.as_dict()
        paths = [*files, *list_cgw_files(session, self.root)]
        restored = restore(session, files, paths, self.root, self.chunk_chars)
        remove_staged_leftovers(session, self.root)
        if not restored:
            return f"{device.name}: cgw's files already match the backup"
        return f"{device.name}: restored {restored} file(s) from the backup and reloaded them"


def _plan_notes(changes: Sequence[FileChange]) -> tuple[str, ...]:
    notes = []
    for change in changes:
        if change.path.startswith(SETTINGS_DIR):
            notes.append(
                "charon settings changed: `swanctl --reload-settings` applies most of them;"
                " routing_table, install_routes and plugin settings take effect when charon"
                " restarts (Debian 12: `systemctl restart strongswan` with charon-systemd, or"
                " `systemctl restart strongswan-starter`); cgw does not restart it, as that"
                " drops every tunnel on the host. Meanwhile the interface script keeps"
                " libipsec's routing rule behind the main table"
            )
        if change.path.startswith(FRR_DIR):
            removals = frr_removals(change.old or "", change.new or "")
            removed = [r.strip() for r in removals if r.strip().startswith("no ")]
            notes.append(
                "FRR: `vtysh -f` adds the fragment to the running bgpd and `write memory`"
                " saves it to /etc/frr/frr.conf"
                + (f"; removed first: {'; '.join(removed)}" if removed else "")
            )
    return tuple(notes)


DEPLOYER: Final = StrongswanDeployer()
