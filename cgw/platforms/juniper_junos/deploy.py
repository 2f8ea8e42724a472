"""Diff and push for a Juniper SRX: `set`/`delete` lines in a private candidate, commit confirmed.

What cgw owns (rules.py): objects named after the VPN, the device's two st0 units, their zone
bindings, the VPN's BGP group and export policy, and static next hops into the st0 units; two
shared statements (tcp-mss for IPsec, IKE on the WAN interface) are added when missing and never
changed or removed. The plan is hier_config's remediation between that part of `show
configuration | display set` and the rendered lines; a removed object goes in one `delete`.

Junos shows ascii-text keys as `$9$...`, a reversible obfuscation: the key is decoded and compared
with the intended one, so an unchanged key plans nothing and a changed key is one `set`.

Plan.commands holds only the `set`/`delete` lines; the transaction adds the framing:
`configure private` (or `configure exclusive` on releases that refuse `commit confirmed` in a
private candidate), the lines in blocks, `commit check`, `commit confirmed N`, `exit
configuration-mode`; confirm is `configure` + `commit check` + exit, which commits nothing and
needs no private candidate. Commit-class lines wait up to COMMIT_TIMEOUT_S. A dropped session
before the commit leaves the candidate to die with it; after it, the router rolls back by itself
when N minutes pass unconfirmed, and `recover()` rolls back at once when it can prove the last
commit is cgw's unconfirmed one.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from functools import cache
from typing import Final, Literal

from hier_config import WorkflowRemediation, get_hconfig
from hier_config.models import IdempotentCommandsRule, MatchRule, OrderingRule
from hier_config.platforms.driver_base import HConfigDriverRules
from hier_config.platforms.juniper_junos.driver import HConfigDriverJuniperJUNOS

from cgw.errors import DeviceError, InventoryError, RenderError
from cgw.model import Device, DeviceConfig, RenderedConfig, VpnConnection
from cgw.platforms._common import object_prefix, options_of
from cgw.platforms.base import Plan
from cgw.platforms.juniper_junos import rules
from cgw.platforms.juniper_junos.options import JunosOptions
from cgw.platforms.juniper_junos.release import JunosRelease, private_commit_confirmed, release_of
from cgw.platforms.juniper_junos.secret9 import NINE_MAGIC, NineDecodeError, decode_nine
from cgw.platforms.juniper_junos.syntax import logical_interface
from cgw.secrets import PROCESS_MASKER
from cgw.session import Channel, ChannelLost, Session
from cgw.session import NoAnswer as SessionNoAnswer

SHOW_SET: Final = "show configuration | display set"
# Minutes the router waits for `commit` before rolling back on its own (simulated time in the lab).
CONFIRM_MINUTES: Final = 5
# The longest a commit-class line may take to answer (netmiko's own commit() allows 120 s).
COMMIT_TIMEOUT_S: Final = 120.0
# Confirm no later than this before the router's own rollback would fire.
CONFIRM_MARGIN_S: Final = 30.0
# Lines written before reading the answers: far below any pty or CLI type-ahead limit.
BLOCK_LINES: Final = 20
# The value shown in place of a device key that differs from the intended one.
DEVICE_KEY: Final = "<psk:on-device>"

# ------------------------------------------------------------------ text helpers
KEY_LINE: Final = re.compile(
    r'^set (security ike policy \S+ pre-shared-key) (ascii-text|hexadecimal) "?([^"]*)"?$'
)
SECRET_VALUE: Final = re.compile(r'((?:ascii-text|hexadecimal) )("[^"]*"|\S+)')


def mask(text: str) -> str:
    """Text safe for a message or log: known keys by label, any key statement's value hidden."""
    return SECRET_VALUE.sub(r'\1"<secret>"', PROCESS_MASKER.mask(text))


def set_lines(text: str) -> list[str]:
    """The `set` statements of a configuration, whitespace-normalised, in order."""
    return [" ".join(line.split()) for line in text.splitlines() if line.strip().startswith("set ")]


def _section(line: str) -> int:
    order = (*rules.SET_ORDER, *rules.DELETE_ORDER)
    return next((i for i, prefix in enumerate(order) if line.startswith(prefix)), len(order))


def canonical(lines: Iterable[str]) -> str:
    """Lines grouped by hierarchy then sorted, so the same set of lines always reads the same."""
    ordered = sorted(dict.fromkeys(lines), key=lambda line: (_section(line), line))
    return "".join(f"{line}\n" for line in ordered)


# ------------------------------------------------------------------ scope
@dataclass(frozen=True)
class JunosScope:
    """What cgw owns on one SRX for one VPN (rules.py as concrete names and numbers)."""

    prefix: str
    st0_units: frozenset[str]
    shared: tuple[str, ...]
    zone_inbound: str  # `security zones security-zone untrust host-inbound-traffic`
    interface_inbound: str  # the same for the WAN interface inside that zone

    @classmethod
    def of(cls, device: Device, vpn: VpnConnection, running: Iterable[str] = ()) -> JunosScope:
        """The scope; `running` adds the st0 units described as this VPN's (renumbered ones)."""
        assigned = frozenset(str(n) for n in device.local.tunnel_numbers)
        return cls.named(object_prefix(vpn), device, running, assigned)

    @classmethod
    def named(
        cls,
        prefix: str,
        device: Device,
        running: Iterable[str],
        assigned: frozenset[str] = frozenset(),
    ) -> JunosScope:
        """The scope of objects named `prefix`: `assigned` st0 units plus those described so."""
        local = device.local
        values = {
            "untrust_zone": options_of(device, JunosOptions).untrust_zone,
            "wan_interface": logical_interface(local.wan_interface),
        }
        described = re.compile(rules.ST0_DESCRIPTION.format(prefix=re.escape(prefix)))
        stale = {m.group(1) for line in running if (m := described.match(_path(line)))}
        return cls(
            prefix=prefix,
            st0_units=assigned | stale,
            shared=tuple(s.format(**values) for s in rules.SHARED_STATEMENTS),
            zone_inbound=rules.ZONE_HOST_INBOUND.format(**values),
            interface_inbound=rules.INTERFACE_HOST_INBOUND.format(**values),
        )

    def _named(self, name: str) -> bool:
        return name == self.prefix or name.startswith(f"{self.prefix}-")

    def owns(self, path: str) -> bool:
        """Whether the statement `path` (a `set` line without `set `) is cgw's for this VPN."""
        for root in rules.NAMED_OBJECT_ROOTS:
            if path.startswith(f"{root} "):
                return self._named(path[len(root) + 1 :].split(" ", 1)[0])
        if path.startswith(f"{rules.BGP_GROUP_ROOT} "):
            return path[len(rules.BGP_GROUP_ROOT) + 1 :].split(" ", 1)[0] == self.prefix
        for pattern in (rules.ST0_UNIT, rules.ST0_ZONE_BINDING, rules.ST0_STATIC_NEXT_HOP):
            if (m := re.match(pattern, path)) and m.group(1) in self.st0_units:
                return True
        return False

    def shared_key(self, path: str) -> str | None:
        """The shared statement `path` is an instance of (its value aside), if any."""
        for key in self.shared:
            rest = path.removeprefix(key)
            if rest == "" or (rest != path and rest.startswith(" ") and " " not in rest[1:]):
                return key
        return None

    def host_inbound(self, path: str) -> bool:
        """Whether `path` is part of the WAN interface's or its zone's host-inbound lists."""
        return any(path.startswith(f"{p} ") for p in (self.zone_inbound, self.interface_inbound))

    def in_scope(self, line: str) -> bool:
        path = _path(line)
        return self.owns(path) or self.shared_key(path) is not None or self.host_inbound(path)


def _path(line: str) -> str:
    return line.removeprefix("set ")


def cgw_vpn_ids(running: Iterable[str]) -> set[str]:
    """The VPN ids that objects named the cgw way (`aws-vpn-<id>...`) belong to."""
    found = set()
    for line in running:
        path = _path(line)
        for root in (*rules.NAMED_OBJECT_ROOTS, rules.BGP_GROUP_ROOT):
            if path.startswith(f"{root} "):
                name = path[len(root) + 1 :].split(" ", 1)[0]
                if m := re.fullmatch(rf"{rules.CGW_NAME}(?:-\S+)?", name):
                    found.add(m.group(1))
    return found


def host_inbound_ike(running: Sequence[str], scope: JunosScope) -> str | None:
    """The one line that lets IKE reach the WAN interface without narrowing it, or None.

    The interface's own host-inbound-traffic overrides its zone's, so: if whichever list governs
    the interface already has `ike` or `all`, nothing; if the interface has a list, `ike` joins
    it; if only the zone has one, `ike` joins the zone's (an interface list of just `ike` would
    take ssh, dhcp... away from it); if neither has one, the interface gets `ike` (AWS's sample).
    A list that refuses IKE on purpose (`system-services ike except`) is left as it is.
    """
    paths = [_path(line) for line in running]
    for base in (scope.interface_inbound, scope.zone_inbound):
        lines = [p.removeprefix(f"{base} ") for p in paths if p.startswith(f"{base} ")]
        if not lines:
            continue
        services = [rest.split()[1:] for rest in lines if rest.startswith("system-services ")]
        if ["ike", "except"] in services or any(s[:1] == ["ike"] for s in services):
            return None
        if any(s == ["all"] for s in services):
            return None
        return f"set {base} system-services ike"
    return f"set {scope.interface_inbound} system-services ike"


# ------------------------------------------------------------------ planning
def _ordering_rules() -> list[OrderingRule]:
    prefixes = (*rules.DELETE_ORDER, *rules.SET_ORDER)
    return [
        OrderingRule(match_rules=(MatchRule(startswith=prefix),), weight=10 + i)
        for i, prefix in enumerate(prefixes)
    ]


def _idempotent_rules() -> list[IdempotentCommandsRule]:
    return [
        IdempotentCommandsRule(
            match_rules=(MatchRule(re_search=rf"^set ({root} (?:{keywords}))(?= |$)"),)
        )
        for root, keywords in rules.SINGLE_VALUED
    ]


class CgwJunosDriver(HConfigDriverJuniperJUNOS):
    """hier_config's Junos driver with cgw's rules: in-place values, ordered by reference."""

    @staticmethod
    def _instantiate_rules() -> HConfigDriverRules:
        return HConfigDriverRules(
            idempotent_commands=_idempotent_rules(), ordering=_ordering_rules()
        )


@cache
def _driver() -> CgwJunosDriver:
    return CgwJunosDriver()


def remediation(running: Sequence[str], target: Sequence[str]) -> list[str]:
    """hier_config's `delete`/`set` lines from `running` to `target`, in sending order."""
    workflow = WorkflowRemediation(
        get_hconfig(_driver(), "\n".join(running)), get_hconfig(_driver(), "\n".join(target))
    )
    return [child.text for child in workflow.remediation_config.all_children_sorted()]


def _delete_path(path: str, target: Sequence[str]) -> str:
    """What to delete for a removed statement: its whole object if cgw keeps nothing in it."""
    roots = sorted(
        (m.group(0) for r in rules.OBJECT_ROOTS if (m := re.match(rf"{r}(?= |$)", path))), key=len
    )
    for root in roots:
        if not any(t == f"set {root}" or t.startswith(f"set {root} ") for t in target):
            return root
    for root, keywords in rules.SINGLE_VALUED:
        if m := re.match(rf"{root} (?:{keywords})(?= )", path):
            return m.group(0)  # `delete ... nat-keepalive`, without the value
    return path


def shape_deletes(lines: Sequence[str], target: Sequence[str]) -> list[str]:
    """Collapse `delete` lines onto whole objects and drop single values; order kept, no repeats."""
    shaped = (
        f"delete {_delete_path(line.removeprefix('delete '), target)}"
        if line.startswith("delete ")
        else line
        for line in lines
    )
    return list(dict.fromkeys(shaped))


def _device_key_line(line: str, intended: dict[str, tuple[str, str]]) -> str:
    """A device key line as the intended line when its (decoded) key matches, else a marker."""
    m = KEY_LINE.match(line)
    if m is None:
        return line
    statement, kind, value = m.groups()
    if value.startswith(NINE_MAGIC):
        try:
            value = decode_nine(value)
        except NineDecodeError:
            value = ""
    if intended.get(statement) == (kind, value):
        return f'set {statement} {kind} "{value}"'
    return f'set {statement} {kind} "{DEVICE_KEY}"'


def _intended_keys(lines: Iterable[str]) -> dict[str, tuple[str, str]]:
    return {m.group(1): (m.group(2), m.group(3)) for line in lines if (m := KEY_LINE.match(line))}


@dataclass(frozen=True)
class _Sides:
    """The owned running lines and the target lines hier_config compares, and the notes."""

    running: list[str]
    target: list[str]
    kept_shared: list[str]
    notes: list[str]


def _split_shared(running: Sequence[str], intended: Sequence[str], scope: JunosScope) -> _Sides:
    """Keep shared statements out of the diff: add the missing ones, note differing values.

    The WAN interface's and its zone's host-inbound lines are read, never diffed: the template's
    `ike` line is replaced by the one line host_inbound_ike() says is needed (or none).
    """
    present = {}
    for line in running:
        key = scope.shared_key(_path(line))
        if key is not None:
            present[key] = line
    inbound = [line for line in running if scope.host_inbound(_path(line))]
    notes = []
    target = []
    for line in intended:
        key = scope.shared_key(_path(line))
        if scope.host_inbound(_path(line)):
            continue
        if key is None or key not in present:
            target.append(line)
        elif present[key] != line:
            notes.append(
                f"shared statement kept as the device has it: {present[key]} (cgw: {line})"
            )
    if any(scope.host_inbound(_path(line)) for line in intended):
        ike = host_inbound_ike(running, scope)
        if ike is not None:
            target.append(ike)
            where = "zone" if ike.startswith(f"set {scope.zone_inbound} ") else "interface"
            notes.append(f"IKE allowed at {where} level, where the WAN interface's list lives")
    kept = [*present.values(), *(line for line in inbound if line not in target)]
    owned = [
        line
        for line in running
        if scope.shared_key(_path(line)) is None and not scope.host_inbound(_path(line))
    ]
    return _Sides(owned, target, kept, notes)


def _refuse_foreign_units(running: Sequence[str], device: Device, scope: JunosScope) -> None:
    """An assigned st0 unit already configured without cgw's description is someone else's."""
    described = re.compile(rules.ST0_DESCRIPTION.format(prefix=re.escape(scope.prefix)))
    ours = {m.group(1) for line in running if (m := described.match(_path(line)))}
    for number in device.local.tunnel_numbers:
        unit = f"interfaces st0 unit {number} "
        if str(number) not in ours and any(_path(line).startswith(unit) for line in running):
            raise InventoryError(
                f"{device.name}: st0.{number} is already configured and not described as a"
                f" tunnel of {scope.prefix}; choose free local.tunnel_numbers"
            )


def plan_change(
    owned_running: str, intended: RenderedConfig, device: Device, vpn: VpnConnection
) -> Plan:
    """The `set`/`delete` lines that turn the owned running statements into the intended ones."""
    scope = JunosScope.of(device, vpn, set_lines(owned_running))
    wanted = set_lines(intended.text)
    stray = [line for line in wanted if not scope.in_scope(line)]
    if stray:
        raise RenderError(
            f"{device.name}: the Junos template produced a statement outside what cgw owns:"
            f" {mask(stray[0])}"
        )
    _refuse_foreign_units(set_lines(owned_running), device, scope)
    keys = _intended_keys(wanted)
    running = [_device_key_line(line, keys) for line in set_lines(owned_running)]
    sides = _split_shared(running, wanted, scope)
    commands = shape_deletes(remediation(sides.running, sides.target), sides.target)
    notes = ["pre-shared keys compared in clear text after decoding Junos $9$ obfuscation"]
    if any(DEVICE_KEY in line for line in running):
        notes.append(f"a device key that differs from AWS's is shown as {DEVICE_KEY}")
    return Plan(
        device=device.name,
        platform=intended.platform,
        vpn_id=vpn.id,
        running=canonical(running),
        intended=canonical([*sides.target, *sides.kept_shared]),
        commands=tuple(commands),
        remove=tuple(line for line in sides.running if line not in sides.target),
        add=tuple(line for line in sides.target if line not in sides.running),
        notes=(*notes, *sides.notes),
    )


# ------------------------------------------------------------------ talking to the router
Stage = Literal["idle", "editing", "committing", "pending", "confirmed"]
EditMode = Literal["private", "exclusive"]


def _where(session: Session) -> str:
    device = session.device
    return f"device {device.name} ({device.host}:{device.port})"


def _answer(segment: str) -> str:
    """A line's answer without its echo (the first line of the segment)."""
    return segment.split("\n", 1)[1] if "\n" in segment else ""


def _rejection(answer: str) -> str | None:
    """The router's complaint in `answer` (one line), or None when the line was taken."""
    lines = [line.strip() for line in answer.splitlines() if line.strip()]
    for line in lines:
        if any(marker in line for marker in rules.REJECTION_MARKERS):
            return line
    return None


def _commit_failure(answer: str) -> str:
    """A readable reason from a failed `commit check`: the statement and Junos's message."""
    m = re.search(r"\[edit ([^\]]*)\]\s*\n\s*'([^']*)'\s*\n\s*(.+)", answer)
    if m is not None:
        return f"`set {m.group(1)} {m.group(2)}`: {m.group(3).strip()}"
    return _rejection(answer) or " ".join(answer.split())[:200] or "no answer"


class NoAnswer(DeviceError):
    """The router did not answer a line in time (it may still be working on it)."""


@dataclass
class JunosCli:
    """Lines to the SRX CLI over the session's netmiko channel: write a block, read its prompts."""

    session: Session
    timeout_s: float
    # Commit-class operations (`commit check`, `commit confirmed`, `commit`, `rollback N`):
    # a branch SRX's commit takes far longer than a `set` (netmiko's commit() allows 120 s).
    commit_timeout_s: float = COMMIT_TIMEOUT_S

    @property
    def where(self) -> str:
        return _where(self.session)

    def exchange(
        self, lines: Sequence[str], timeout_s: float | None = None, until: str | None = None
    ) -> list[str]:
        """Send `lines` at once; each line's echo and answer, split at the prompts that follow.

        `until`: a regex that also ends the last line's answer (a question such as `[yes,no]`).
        """
        channel = Channel(self.session)
        prompt = re.compile(rf"{re.escape(channel.base_prompt)}[>#]")
        count = len(lines)

        def answered(buffer: str) -> bool:
            done = len(prompt.findall(buffer))
            if until is not None and done == count - 1 and re.search(until, buffer):
                return True
            return done >= count

        limit = self.timeout_s if timeout_s is None else timeout_s
        channel.drain()  # anything left over belongs to no line of ours
        text = "".join(f"{line}\n" for line in lines)
        try:
            buffer = channel.exchange(text, answered, f"`{mask(lines[0])}`", limit)
        except ChannelLost as error:
            raise self._lost(lines, len(prompt.findall(error.output))) from None
        except SessionNoAnswer as error:
            done = min(len(prompt.findall(error.output)), count - 1)
            raise NoAnswer(
                f"{self.where}: no prompt within {limit:g} s after `{mask(lines[done])}`"
            ) from None
        return [s.replace("\r", "") for s in prompt.split(buffer)[:count]]

    def _lost(self, lines: Sequence[str], answered: int) -> DeviceError:
        at = f" at `{mask(lines[answered])}`" if answered < len(lines) else ""
        return DeviceError(
            f"{self.where}: connection lost{at} ({answered} of {len(lines)} lines answered)"
        )

    def run(self, line: str) -> str:
        """One line's answer (without its echo)."""
        return _answer(self.exchange([line])[0])

    def run_commit(self, line: str) -> str:
        """A commit-class line's answer, waiting as long as a commit may take."""
        return _answer(self.exchange([line], self.commit_timeout_s)[0])

    def enter(self, mode: EditMode) -> None:
        """`configure private|exclusive`; DeviceError with the router's reason if refused."""
        answer = self.run(f"configure {mode}")
        if (problem := _rejection(answer)) is not None:
            raise DeviceError(f"{self.where}: cannot start a {mode} configuration: {problem}")

    def enter_private(self) -> None:
        self.enter("private")

    def leave(self) -> None:
        """Back to operational mode; a shared candidate others changed stays as they left it."""
        segment = self.exchange(["exit configuration-mode"], until=r"\[yes,no\]")[0]
        if "[yes,no]" in segment:
            self.run("yes")

    def candidate(self) -> list[str]:
        return set_lines(self.run("show | display set"))


def _same_config(a: str, b: str) -> bool:
    return set_lines(a) == set_lines(b)


def edit_mode(release: JunosRelease | None) -> EditMode:
    """Where cgw edits: `configure private` where `commit confirmed` works in it, else exclusive.

    Unknown releases start private and move to exclusive if the router refuses (JunosTransaction).
    """
    return "exclusive" if private_commit_confirmed(release) is False else "private"


# ------------------------------------------------------------------ the transaction
# Devices where cgw sent `commit confirmed` and has not yet confirmed it or rolled it back (name →
# monotonic time sent): the commit may complete after cgw stopped waiting for its answer, and the
# router's own timer is still armed, so recover() never says nothing was committed and knows the
# router rolls back by itself when cgw cannot.
UNCONFIRMED_COMMITS: dict[str, float] = {}


@dataclass
class JunosTransaction:
    """configure private|exclusive → lines in blocks → commit check → commit confirmed; confirm.

    Confirm is `configure` + `commit check` + exit: Junos takes `commit check` as confirmation of
    a pending `commit confirmed` and it commits nothing, so it works while someone else has
    uncommitted changes in the shared database (where `configure private` is refused).
    """

    session: Session
    plan: Plan
    backup: str
    confirm_minutes: int = CONFIRM_MINUTES
    block_lines: int = BLOCK_LINES
    stage: Stage = "idle"
    cli: JunosCli = field(init=False)
    mode: EditMode = field(init=False)
    clock: Callable[[], float] = time.monotonic
    committed_at: float | None = None

    confirm_after_verify = True

    def __post_init__(self) -> None:
        device = self.session.device
        self.cli = JunosCli(self.session, float(device.timeout_s))
        self.cli.commit_timeout_s = max(COMMIT_TIMEOUT_S, float(device.timeout_s))
        self.mode = edit_mode(release_of(device.release))

    @property
    def confirm_window_s(self) -> float:
        """How long after `commit confirmed` the router waits for the confirmation."""
        return self.confirm_minutes * 60.0

    @property
    def verify_budget_s(self) -> float:
        """The longest verify may run: the window less what the confirming commit check takes."""
        return max(self.confirm_window_s - self.cli.commit_timeout_s - CONFIRM_MARGIN_S, 0.0)

    def prepare(self) -> None:
        """Open a private (or exclusive) candidate: nobody else's uncommitted changes join ours."""
        self.cli.enter(self.mode)
        self.stage = "editing"

    def apply(self) -> None:
        """Load the plan, check it, `commit confirmed N`, back to operational mode for verify."""
        self._load()
        check = self._commit_line("commit check")
        if rules.CHECK_PASSED not in check:
            raise self._abort(f"commit check refused {mask(_commit_failure(check))}")
        committed = self._commit_line(f"commit confirmed {self.confirm_minutes}")
        if rules.PRIVATE_CONFIRMED_REFUSED in committed and self.mode == "private":
            # an older release: the same change again in an exclusive candidate
            self._discard()
            self.mode = "exclusive"
            self.prepare()
            self._load()
            committed = self._commit_line(f"commit confirmed {self.confirm_minutes}")
        if rules.COMMIT_DONE not in committed:
            raise self._abort(f"commit confirmed failed: {mask(_commit_failure(committed))}")
        self.stage = "pending"
        self.cli.leave()

    def _load(self) -> None:
        commands = self.plan.commands
        for start in range(0, len(commands), self.block_lines):
            block = commands[start : start + self.block_lines]
            for offset, segment in enumerate(self.cli.exchange(block)):
                if (problem := _rejection(_answer(segment))) is not None:
                    raise self._abort(
                        f"the router rejected line {start + offset + 1}"
                        f" `{mask(block[offset])}`: {mask(problem)}"
                    )

    def _commit_line(self, line: str) -> str:
        """A commit-class line; a missing answer is reported as a commit that may complete."""
        committing = line.startswith("commit confirmed")
        if committing:
            self.stage = "committing"
            self.committed_at = self.clock()
            UNCONFIRMED_COMMITS[self.session.device.name] = time.monotonic()
        try:
            return self.cli.run_commit(line)
        except DeviceError as error:
            if not isinstance(error, NoAnswer):
                raise
            if not committing:
                raise DeviceError(
                    f"{error}; nothing was committed (the candidate dies with the session)"
                ) from None
            raise DeviceError(
                f"{error}; the commit may still complete: if it does, the router rolls it back"
                f" by itself {self.confirm_minutes} minutes later unless confirmed"
            ) from None

    def confirm(self) -> None:
        """`commit check` in the shared database: the confirmation that commits nothing else."""
        elapsed = self.clock() - (self.committed_at or self.clock())
        window = f"the router rolls back by itself within {self.confirm_minutes} minutes"
        if elapsed > self.confirm_window_s - CONFIRM_MARGIN_S:
            raise DeviceError(
                f"{self.cli.where}: {elapsed:.0f} s passed since commit confirmed, too close to"
                f" its {self.confirm_window_s:.0f} s window to confirm; {window}"
            )
        self.cli.run("configure")
        try:
            answer = self.cli.run_commit("commit check")
        except NoAnswer as error:
            raise DeviceError(f"{error}; {window} unless the check completes") from None
        if rules.CHECK_PASSED not in answer:
            self.cli.leave()
            raise DeviceError(
                f"{self.cli.where}: confirming the commit failed:"
                f" {mask(_commit_failure(answer))}; {window}"
            )
        self.stage = "confirmed"
        UNCONFIRMED_COMMITS.pop(self.session.device.name, None)
        self.cli.leave()

    def rollback(self) -> None:
        """Back to the backup: drop the candidate, or commit the rollback that matches it.

        An unconfirmed change that cannot be rolled back now (someone's uncommitted changes keep
        cgw out of a private candidate) is left to the router's own timer, and said so.
        """
        if self.stage == "idle":
            return
        if self.stage == "editing":
            self._discard()
            return
        # `commit check` confirmed without a commit of its own: rollback 1 is the backup.
        try:
            restore_rollback(self.cli, self.backup, (1,))
        except DeviceError as error:
            if self.stage == "confirmed":
                raise
            raise DeviceError(
                f"{error}; the change stays unconfirmed: the router rolls it back by itself"
                f" within {self.confirm_minutes} minutes"
            ) from None
        UNCONFIRMED_COMMITS.pop(self.session.device.name, None)
        self.stage = "idle"

    def _discard(self) -> None:
        """`rollback 0` and leave: the private/exclusive candidate and its changes are gone."""
        self.cli.run_commit("rollback 0")
        self.cli.leave()
        self.stage = "idle"

    def _abort(self, problem: str) -> DeviceError:
        """Discard the candidate after `problem`; the error to raise, naming both if both failed."""
        outcome = "nothing was committed"
        try:
            self._discard()
        except DeviceError as error:
            outcome = f"discarding the candidate failed too ({error}); it dies with the session"
        return DeviceError(f"{self.cli.where}: {problem}; {outcome}")


def restore_rollback(cli: JunosCli, backup: str, depths: Sequence[int]) -> int:
    """Commit the first `rollback N` whose configuration is the backup; returns N.

    Raises DeviceError (after `rollback 0`) when none of them is.
    """
    cli.enter_private()
    for depth in depths:
        answer = cli.run_commit(f"rollback {depth}")
        if _rejection(answer) is None and _same_config("\n".join(cli.candidate()), backup):
            committed = cli.run_commit("commit")
            if rules.COMMIT_DONE not in committed:
                break
            cli.leave()
            return depth
    cli.run_commit("rollback 0")
    cli.leave()
    raise DeviceError(
        f"{cli.where}: no rollback among {', '.join(map(str, depths))} holds the backed-up"
        " configuration; the router was left as it is"
    )


# ------------------------------------------------------------------ the deployer
class JunosDeployer:
    """cgw.push.Deployer for Junos: display set, scope, hier_config plan, commit confirmed."""

    def read_running(self, session: Session) -> DeviceConfig:
        """`show configuration | display set`, only the statements."""
        device = session.device
        return DeviceConfig.cli(device.name, device.platform, self.running_text(session))

    def running_text(self, session: Session) -> str:
        return "".join(f"{line}\n" for line in set_lines(session.send_command(SHOW_SET)))

    def owned(
        self, running: DeviceConfig, device: Device, vpn: VpnConnection, *, prune: bool = False
    ) -> DeviceConfig:
        """The statements cgw owns or shares for `vpn` (and reads: host-inbound), device order.

        With `prune`, also every statement of a cgw-named object of another VPN (what
        `prune_plan` would delete), so the plan removes it.
        """
        lines = set_lines(running.text)
        scope = JunosScope.of(device, vpn, lines)
        stale = set(self._stale_lines(lines, device, {vpn.id})) if prune else set()
        text = "".join(f"{line}\n" for line in lines if scope.in_scope(line) or line in stale)
        return DeviceConfig.cli(device.name, device.platform, text)

    def _stale_lines(
        self, lines: Sequence[str], device: Device, keep_vpn_ids: Iterable[str]
    ) -> list[str]:
        """Every statement of a cgw-named object of a VPN not in `keep_vpn_ids`."""
        owned: list[str] = []
        for vpn_id in sorted(cgw_vpn_ids(lines) - set(keep_vpn_ids)):
            scope = JunosScope.named(f"aws-{vpn_id}", device, lines)
            owned += [line for line in lines if scope.owns(_path(line)) and line not in owned]
        return owned

    def plan(
        self, owned: DeviceConfig, intended: RenderedConfig, device: Device, vpn: VpnConnection
    ) -> Plan:
        """hier_config's remediation, keys compared decoded (see plan_change)."""
        return plan_change(owned.text, intended, device, vpn)

    def prune_plan(
        self, running_config: DeviceConfig, device: Device, keep_vpn_ids: Iterable[str]
    ) -> Plan:
        """`delete` lines for every cgw-named object of a VPN not in `keep_vpn_ids` (--prune).

        Only names cgw gives (`aws-vpn-<8 or 17 hex>...`), st0 units whose description names
        such a tunnel, and their zone bindings and static next hops; shared statements stay.
        """
        lines = set_lines(running_config.text)
        stale = sorted(cgw_vpn_ids(lines) - set(keep_vpn_ids))
        owned = self._stale_lines(lines, device, keep_vpn_ids)
        deletes = shape_deletes([f"delete {_path(line)}" for line in owned], ())
        return Plan(
            device=device.name,
            platform="juniper_junos",
            vpn_id=",".join(stale),
            running=canonical(owned),
            intended="",
            commands=tuple(sorted(deletes, key=_section)),
            remove=tuple(owned),
            notes=tuple(
                f"pruned: objects of {vpn_id}, which the inventory no longer lists"
                for vpn_id in stale
            ),
        )

    def transaction(self, session: Session, plan: Plan, backup: DeviceConfig) -> JunosTransaction:
        return JunosTransaction(session, plan, backup.text)

    def recover(self, session: Session, device: Device, backup_config: DeviceConfig) -> str:
        """After a failed push: roll back an unconfirmed commit of ours now, else report."""
        cli = JunosCli(session, float(device.timeout_s))
        backup = backup_config.text
        running = self.running_text(session)
        sent = UNCONFIRMED_COMMITS.get(device.name)
        armed = sent is not None and time.monotonic() - sent < CONFIRM_MINUTES * 60
        if _same_config(running, backup):
            if armed:
                return (
                    "the router runs its previous configuration for now; cgw's unconfirmed"
                    " commit confirmed may still complete, and then rolls back by itself"
                    f" within {CONFIRM_MINUTES} minutes"
                )
            return "the router runs its previous configuration (nothing of the push was committed)"
        try:
            restore_rollback(cli, backup, (1,))
        except DeviceError as error:
            if armed:
                return (
                    f"rolling back now failed ({error}); cgw's commit confirmed is unconfirmed:"
                    f" the router rolls it back by itself within {CONFIRM_MINUTES} minutes"
                )
            return (
                "the router runs a configuration committed after the backup (cgw's confirmed"
                " change or someone else's); left as it is"
            )
        UNCONFIRMED_COMMITS.pop(device.name, None)
        return "the unconfirmed commit was rolled back: the router runs its previous configuration"


DEPLOYER: Final = JunosDeployer()
