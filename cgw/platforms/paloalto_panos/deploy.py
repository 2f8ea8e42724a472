"""Diff and push for a PAN-OS firewall: `set`/`delete` lines in the candidate, then `commit`.

What cgw owns (rules.py): objects named after the VPN (crypto profiles, IKE gateways, IPsec
tunnels, zone, security rules, BGP peer group, export rule, timer profile, static routes),
the device's two tunnel units and their zone/router memberships; the router's BGP instance
(enable, router-id, local-as) is shared: added when missing, never changed or removed.

Running configuration: `show config running` after `set cli config-output-format set`. A
member list printed as `[ a b ]` on a leaf others share (a zone's interfaces, a router's) is
split into one statement per member, so cgw adds or deletes only its own members.

PAN-OS stores a pre-shared key encrypted with the device's master key (`-AQ==...`), which cgw
cannot decode: an encrypted device key is taken to be the intended one (noted in the plan);
a wrong key shows in verify (IKE down), and `cgw push` after a PSK change sets it.

Transaction: `check pending-changes` must say `no` (cgw never commits someone else's
uncommitted work), `configure`, `save config to <snapshot>` (the running configuration,
before any change), the lines in blocks, `commit description "cgw ..."` (the timed wait is
reported). A refused line or a failed commit → `revert config` (the candidate is the running
configuration again): nothing committed. After the commit, rollback is `load config from
<snapshot>` + `commit`; a dropped session is handled by `recover()` the same way (a staged but
uncommitted candidate is reverted).
"""

from __future__ import annotations

import logging
import re
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from functools import cached_property
from typing import TYPE_CHECKING, Final, Literal

from cgw.errors import CgwError, DeviceError, RenderError
from cgw.model import Device, DeviceConfig, RenderedConfig, VpnConnection
from cgw.platforms import _setform
from cgw.platforms._common import object_prefix, options_of
from cgw.platforms.base import Plan
from cgw.platforms.paloalto_panos import rules
from cgw.platforms.paloalto_panos.options import PanosOptions, router_root
from cgw.secrets import PROCESS_MASKER

if TYPE_CHECKING:
    from cgw.session import Session

LOG = logging.getLogger(__name__)
SET_FORMAT: Final = "set cli config-output-format set"
SHOW_RUNNING: Final = "show config running"
PENDING: Final = "check pending-changes"
BLOCK_LINES: Final = 20
DEVICE_KEY: Final = "<psk:on-device>"
# Read timeouts per operation (seconds): a commit on a busy firewall takes minutes.
READ_TIMEOUT_S: Final = {
    "show": 120.0,
    "line": 30.0,
    "commit": 900.0,
    "revert": 120.0,
    "load": 180.0,
    "save": 60.0,
}
MEMBER_PATHS: Final = tuple(re.compile(p) for p in rules.MEMBER_PATHS)
KEY_LINE: Final = re.compile(
    r"^set (network ike gateway \S+ authentication pre-shared-key key) (\S+)$"
)
SECRET_VALUE: Final = re.compile(r"(pre-shared-key key )(\S+)")


def mask(text: str) -> str:
    """Text safe for a message or log: known keys by label, any key statement's value hidden."""
    return PROCESS_MASKER.mask(SECRET_VALUE.sub(r"\1<secret>", text))


def statements(text: str) -> list[str]:
    """The `set` statements of a configuration, shared member lists one member per line."""
    return [
        exploded
        for line in _setform.set_lines(text)
        for exploded in _setform.explode(line, MEMBER_PATHS)
    ]


ORDER: Final = (*rules.SET_ORDER, *rules.DELETE_ORDER)


def canonical(lines: Iterable[str]) -> str:
    return _setform.canonical(lines, ORDER)


# ------------------------------------------------------------------ scope
@dataclass(frozen=True)
class PanosScope:
    """What cgw owns on one firewall for one VPN (rules.py as concrete names and numbers)."""

    prefix: str
    units: frozenset[str]
    router: str
    bgp: str

    @classmethod
    def of(cls, device: Device, vpn: VpnConnection) -> PanosScope:

        options = options_of(device, PanosOptions)
        router = router_root(options)
        bgp = f"{router} bgp" if options.routing_engine == "advanced" else f"{router} protocol bgp"
        return cls(
            prefix=object_prefix(vpn),
            units=frozenset(str(n) for n in device.local.tunnel_numbers),
            router=router,
            bgp=bgp,
        )

    def _named(self, name: str) -> bool:
        return name == self.prefix or name.startswith(f"{self.prefix}-")

    @cached_property
    def _roots(self) -> tuple[str, ...]:
        values = {"router": self.router, "bgp": self.bgp}
        return (*rules.NAMED_OBJECT_ROOTS, *(r.format(**values) for r in rules.ROUTER_NAMED_ROOTS))

    @cached_property
    def _unit_patterns(self) -> tuple[str, ...]:
        return (
            rules.TUNNEL_UNIT,
            rules.ZONE_MEMBER,
            rules.ROUTER_MEMBER.format(router=re.escape(self.router)),
        )

    @cached_property
    def shared(self) -> tuple[str, ...]:
        return tuple(s.format(bgp=self.bgp) for s in rules.SHARED_STATEMENTS)

    def owns(self, path: str) -> bool:
        """Whether the statement `path` (a `set` line without `set `) is cgw's for this VPN."""
        for root in self._roots:
            if path.startswith(f"{root} ") and self._named(path[len(root) + 1 :].split(" ", 1)[0]):
                return True
        return any(
            (m := re.match(p, path)) is not None and m.group(1) in self.units
            for p in self._unit_patterns
        )

    def shared_key(self, path: str) -> str | None:
        return next((k for k in self.shared if path.startswith(f"{k} ")), None)

    def in_scope(self, line: str) -> bool:
        path = line.removeprefix("set ")
        return self.owns(path) or self.shared_key(path) is not None


# ------------------------------------------------------------------ planning
def _leaf(line: str) -> str:
    """A statement's path without its value: the unit a plain `set` replaces."""
    split = _setform.split_members(line)
    return split[0] if split else line.rsplit(" ", 1)[0]


def _is_member(line: str) -> bool:
    return any(p.match(line.rsplit(" ", 1)[0]) for p in MEMBER_PATHS)


def _is_ordered(line: str) -> bool:
    path = _leaf(line).removeprefix("set ")
    return any(re.fullmatch(p, path) for p in rules.ORDERED_LISTS)


def _delete_path(path: str, target: Sequence[str]) -> str:
    """What to delete for a removed statement: its whole object if cgw keeps nothing in it."""
    roots = sorted(
        (m.group(0) for r in rules.OBJECT_ROOTS if (m := re.match(rf"{r}(?= |$)", path))), key=len
    )
    for root in roots:
        if not any(t == f"set {root}" or t.startswith(f"set {root} ") for t in target):
            return root
    return path


def remediation(running: Sequence[str], target: Sequence[str]) -> list[str]:
    """The `delete`/`set` lines from `running` to `target`, removals first, in sending order."""
    have, want = set(running), set(target)
    target_leaves = {_leaf(t) for t in target if not _is_member(t)}
    deletes: list[str] = []
    sets: list[str] = []
    for line in running:
        if line in want:
            continue
        leaf = _leaf(line)
        if _is_member(line):
            deletes.append(f"delete {line.removeprefix('set ')}")
        elif leaf in target_leaves:
            if _is_ordered(line):
                deletes.append(f"delete {leaf.removeprefix('set ')}")
        else:
            deletes.append(f"delete {_delete_path(line.removeprefix('set '), target)}")
    sets = [line for line in target if line not in have]
    ordered_deletes = sorted(
        dict.fromkeys(deletes), key=lambda line: (_setform.section(line, rules.DELETE_ORDER), line)
    )
    # A deleted container swallows its leaves: drop deletes inside another delete.
    kept = [
        d
        for d in ordered_deletes
        if not any(d != o and d.startswith(f"{o} ") for o in ordered_deletes)
    ]
    ordered_sets = sorted(sets, key=lambda line: _setform.section(line, rules.SET_ORDER))
    return [*kept, *ordered_sets]


def _device_key_line(line: str, intended: dict[str, str]) -> tuple[str, bool]:
    """A device key line as the intended one when encrypted (cannot compare) or equal."""
    m = KEY_LINE.match(line)
    if m is None:
        return line, False
    statement, value = m.groups()
    if statement in intended and (
        value == intended[statement] or value.startswith(rules.ENCRYPTED_KEY_PREFIX)
    ):
        return f"set {statement} {intended[statement]}", value != intended[statement]
    return f"set {statement} {DEVICE_KEY}", False


def plan_change(
    owned_running: str, intended: RenderedConfig, device: Device, vpn: VpnConnection
) -> Plan:
    """The `set`/`delete` lines that turn the owned running statements into the intended ones."""
    scope = PanosScope.of(device, vpn)
    wanted = statements(intended.text)
    stray = [line for line in wanted if not scope.in_scope(line)]
    if stray:
        raise RenderError(
            f"{device.name}: the PAN-OS template produced a statement outside what cgw owns:"
            f" {mask(stray[0])}"
        )
    keys = {m.group(1): m.group(2) for line in wanted if (m := KEY_LINE.match(line))}
    running: list[str] = []
    encrypted = False
    for line in statements(owned_running):
        shown, was_encrypted = _device_key_line(line, keys)
        running.append(shown)
        encrypted = encrypted or was_encrypted
    present = {
        k: line
        for line in running
        if (k := scope.shared_key(line.removeprefix("set "))) is not None
    }
    notes: list[str] = []
    target = []
    for line in wanted:
        key = scope.shared_key(line.removeprefix("set "))
        if key is None or key not in present:
            target.append(line)
        elif present[key] != line:
            notes.append(
                f"shared statement kept as the device has it: {present[key]} (cgw: {line})"
            )
    owned = [line for line in running if scope.shared_key(line.removeprefix("set ")) is None]
    if encrypted:
        notes.append(
            "PAN-OS stores pre-shared keys encrypted (-AQ==...); cgw cannot compare them and"
            " keeps the device's key: verify shows a wrong one as IKE down"
        )
    if any(DEVICE_KEY in line for line in running):
        notes.append(f"a device key that differs from AWS's is shown as {DEVICE_KEY}")
    commands = remediation(owned, target)
    return Plan(
        device=device.name,
        platform=intended.platform,
        vpn_id=vpn.id,
        running=canonical(running),
        intended=canonical([*target, *present.values()]),
        commands=tuple(commands),
        remove=tuple(line for line in owned if line not in target),
        add=tuple(line for line in target if line not in owned),
        notes=tuple(notes),
    )


# ------------------------------------------------------------------ talking to the firewall
Stage = Literal["idle", "staging", "committed", "confirmed"]


def _rejection(answer: str) -> str | None:
    for line in answer.splitlines():
        if any(marker in line for marker in rules.REJECTION_MARKERS):
            return line.strip()
    return None


def _commit_failure(answer: str) -> str:
    """The firewall's reasons for a failed commit, on one line (job and progress lines dropped)."""
    noise = re.compile(r"^(?:Commit job \d+ is in progress.*|[.\d%]+|Commit failed|\[edit\])$")
    reasons = [
        line.strip()
        for line in answer.splitlines()
        if line.strip() and not noise.match(line.strip()) and line.strip() != "Validation Error:"
    ]
    return "; ".join(reasons)[:400] or "no answer"


@dataclass
class PanosCli:
    """Lines to the PAN-OS CLI over the session's netmiko channel, each with its own timeout."""

    session: Session

    @property
    def where(self) -> str:
        device = self.session.device
        return f"device {device.name} ({device.host}:{device.port})"

    def run(self, line: str, operation: str = "line") -> str:
        """One line's answer; the read timeout is the operation's (commit waits longest)."""
        connection = self.session.connection
        prompt = rf"{re.escape(connection.base_prompt)}[>#]"
        try:
            return str(
                connection.send_command(
                    line,
                    expect_string=prompt,
                    read_timeout=READ_TIMEOUT_S[operation],
                    strip_prompt=True,
                    strip_command=True,
                    cmd_verify=False,
                )
            ).replace("\r", "")
        except Exception as exc:
            raise DeviceError(
                f"{self.where}: no answer to `{mask(line)}`: {type(exc).__name__}"
            ) from None

    def configure(self) -> None:
        answer = self.run("configure")
        if (problem := _rejection(answer)) is not None:
            raise DeviceError(f"{self.where}: cannot enter configuration mode: {problem}")

    def leave(self) -> None:
        self.run("exit")

    def pending(self) -> bool:
        """Whether the candidate holds uncommitted changes (operational mode)."""
        return self.run(PENDING).strip().splitlines()[-1:] == ["yes"]

    def commit(self, description: str) -> float:
        """`commit description ...`; the seconds it waited. DeviceError when it failed."""
        started = time.monotonic()
        answer = self.run(f'commit description "{description}"', "commit")
        waited = time.monotonic() - started
        if rules.COMMIT_DONE not in answer:
            raise DeviceError(
                f"commit failed after {waited:.1f} s: {mask(_commit_failure(answer))}"
            )
        return waited

    def running_text(self) -> str:
        """`show config running` (operational mode) in set format."""
        self.run(SET_FORMAT)
        return self.run(SHOW_RUNNING, "show")


def snapshot_name(plan: Plan) -> str:
    return f"cgw-backup-{plan.vpn_id}.xml"


@dataclass
class PanosTransaction:
    """check pending-changes → configure → save snapshot → lines → commit; rollback loads it."""

    session: Session
    plan: Plan
    backup: str
    block_lines: int = BLOCK_LINES
    stage: Stage = "idle"
    commit_wait_s: float | None = None
    cli: PanosCli = field(init=False)

    confirm_after_verify = True

    def __post_init__(self) -> None:
        self.cli = PanosCli(self.session)

    def prepare(self) -> None:
        """Refuse to start over someone's uncommitted changes; snapshot the running config."""
        if self.cli.pending():
            raise DeviceError(
                f"{self.cli.where}: the candidate configuration has uncommitted changes;"
                " commit or revert them first (cgw commits only its own)"
            )
        self.cli.configure()
        answer = self.cli.run(f"save config to {snapshot_name(self.plan)}", "save")
        if (problem := _rejection(answer)) is not None:
            self.cli.leave()
            raise DeviceError(f"{self.cli.where}: cannot save a snapshot: {problem}")
        self.stage = "staging"

    def apply(self) -> None:
        """Stage the plan in blocks, then commit with a description naming cgw."""
        commands = self.plan.commands
        for start in range(0, len(commands), self.block_lines):
            for offset, line in enumerate(commands[start : start + self.block_lines]):
                if (problem := _rejection(self.cli.run(line))) is not None:
                    raise self._abort(
                        f"the firewall rejected line {start + offset + 1}"
                        f" `{mask(line)}`: {mask(problem)}"
                    )
        try:
            self.commit_wait_s = self.cli.commit(f"cgw: AWS {self.plan.vpn_id}")
        except DeviceError as error:
            raise self._abort(str(error)) from None
        self.stage = "committed"
        LOG.info(
            "%s: commit of %s took %.1f s", self.cli.where, self.plan.vpn_id, self.commit_wait_s
        )
        self.cli.leave()

    def confirm(self) -> None:
        """PAN-OS keeps a commit; confirming only records that verify passed."""
        self.stage = "confirmed"

    def rollback(self) -> None:
        """Back to the backup: revert the candidate, or load the snapshot and commit it."""
        if self.stage == "idle":
            return
        if self.stage == "staging":
            self._revert()
            return
        restore_snapshot(self.cli, snapshot_name(self.plan))
        self.stage = "idle"

    def _revert(self) -> None:
        self.cli.run("revert config", "revert")
        self.cli.leave()
        self.stage = "idle"

    def _abort(self, problem: str) -> DeviceError:
        outcome = "nothing was committed (candidate reverted)"
        try:
            self._revert()
        except DeviceError as error:
            outcome = f"reverting the candidate failed too ({error})"
        return DeviceError(f"{self.cli.where}: {problem}; {outcome}")


def restore_snapshot(cli: PanosCli, name: str) -> float:
    """`load config from <name>` and commit it; the seconds the commit waited."""
    cli.configure()
    answer = cli.run(f"load config from {name}", "load")
    if (problem := _rejection(answer)) is not None:
        cli.run("revert config", "revert")
        cli.leave()
        raise DeviceError(
            f"{cli.where}: cannot load {name}: {problem}; the firewall was left as it is"
        )
    try:
        waited = cli.commit("cgw: rollback")
    except DeviceError as error:
        cli.run("revert config", "revert")
        cli.leave()
        raise DeviceError(f"{cli.where}: rollback {error}") from None
    cli.leave()
    return waited


class PanosDeployer:
    """cgw.push.Deployer for PAN-OS: set format, scope, set/delete plan, candidate + commit."""

    def read_running(self, session: Session) -> DeviceConfig:
        device = session.device
        text = "".join(f"{line}\n" for line in _setform.set_lines(PanosCli(session).running_text()))
        return DeviceConfig.cli(device.name, device.platform, text)

    def owned(
        self, running: DeviceConfig, device: Device, vpn: VpnConnection, *, prune: bool = False
    ) -> DeviceConfig:
        """The statements cgw owns or shares for `vpn`, in the device's order."""
        if prune:
            raise CgwError(
                f"{device.name}: --prune is not available for PAN-OS yet; remove an old VPN's"
                " aws-vpn-… objects by hand"
            )
        scope = PanosScope.of(device, vpn)
        text = "".join(f"{line}\n" for line in statements(running.text) if scope.in_scope(line))
        return DeviceConfig.cli(device.name, device.platform, text)

    def plan(
        self, owned: DeviceConfig, intended: RenderedConfig, device: Device, vpn: VpnConnection
    ) -> Plan:
        return plan_change(owned.text, intended, device, vpn)

    def transaction(self, session: Session, plan: Plan, backup: DeviceConfig) -> PanosTransaction:
        return PanosTransaction(session, plan, backup.text)

    def recover(self, session: Session, device: Device, backup_config: DeviceConfig) -> str:
        """After a failed push: revert a staged candidate; restore the snapshot if committed."""
        cli = PanosCli(session)
        if cli.pending():
            cli.configure()
            cli.run("revert config", "revert")
            cli.leave()
        running = cli.running_text()
        if statements(running) == statements(backup_config.text):
            return (
                "the firewall runs its previous configuration (nothing of the push was committed)"
            )
        return (
            "the firewall runs a configuration committed after the backup (cgw's change or"
            " someone else's); left as it is — `load config from cgw-backup-<vpn>.xml` restores it"
        )


DEPLOYER: Final = PanosDeployer()
