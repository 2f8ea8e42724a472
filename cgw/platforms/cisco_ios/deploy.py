"""Cisco IOS / IOS-XE diff and push: hier_config remediation, block push under a revert timer.

The plan holds config-mode lines only; the transaction frames them:

    copy running-config flash:cgw-<hash>.cfg        backup on the device (named by its content)
    configure terminal revert timer N               the router reverts by itself unless confirmed
    <plan lines, written in blocks>                 errors found in the echo, line by line
    end
    configure confirm / write memory                each reply checked

The revert timer is a prerequisite: without an `archive path` IOS refuses it ("% Please
configure the archive path before using the rollback feature") and cgw stops before changing
anything, naming the lines to add. cgw never configures the archive itself: where and how many
configurations a router archives is the operator's decision.

A rollback after `write memory` (`--rollback-on-down`) replays the backup file with
`configure replace` and saves again, so a reload does not bring back the change. Recovery after a
dropped push fires a pending revert timer only when it is cgw's own (the archive it would restore
is cgw's backup), and checks every reply.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Sequence

from hier_config import HConfig, HConfigChild, WorkflowRemediation, get_hconfig
from hier_config.exceptions import DuplicateChildError

from cgw.errors import CgwError, DeviceError, ParseError
from cgw.model import Device, DeviceConfig, RenderedConfig, VpnConnection
from cgw.platforms._common import object_prefix
from cgw.platforms.base import Plan
from cgw.platforms.cisco_ios import algorithms, rules
from cgw.platforms.cisco_ios.syntax import bgp_network
from cgw.secrets import PROCESS_MASKER
from cgw.session import Channel, Session

RUNNING_CONFIG_FILE = "running-config"
REVERT_MINUTES = 5
# Seconds to wait for the prompt after the slow commands; each is capped by the revert window
# (waiting past it is pointless: the router has reverted by then). netmiko's save_config and
# napalm's commit_config wait this order of time for a large configuration.
SLOW_COMMAND_TIMEOUTS_S: dict[str, float] = {
    "copy running-config": 120.0,
    "configure replace": 300.0,
    "configure revert": 300.0,
    "configure confirm": 60.0,
    "write memory": 120.0,
}
BACKUP_FILESYSTEM = "flash:"
# A block is written in one go; IOS reads pasted lines from its input buffer, so keep it modest.
BLOCK_LINES = 60
BLOCK_CHARS = 3000
MAX_ANSWERS = 3  # questions answered with their default (file name, [confirm])
# Lines `show running-config` prints that change without a configuration change.
VOLATILE_LINES = re.compile(
    r"^(Building configuration|Current configuration|! Last configuration change"
    r"|! NVRAM config last updated|ntp clock-period)"
)
# What IOS prints when it refuses a configuration line (warnings are not refusals).
REJECTION = re.compile(r"^\s*%(?!\s*Warning)", re.I)
QUESTION = re.compile(r"(\?|\[confirm\]|\[(?:yes/no|no|yes)\]:?)\s*$")
NO_ARCHIVE = re.compile(r"configure the archive path", re.I)
NO_PENDING_ROLLBACK = re.compile(r"No Rollback Confirmed Change pending", re.I)
# `configure replace` / `configure revert` failing: IOS prints these instead of "Rollback Done".
REPLACE_FAILED = re.compile(
    r"%\s*Error|Rollback aborted|%\s*(?:Invalid|Incomplete)|failed|not found|No such file"
    r"|%\s*Configuration rollback|Could not|Unable to",
    re.I,
)
ROLLBACK_DONE = re.compile(r"Rollback Done", re.I)
SAVED = re.compile(r"\[OK\]")
ARCHIVE_MOST_RECENT = re.compile(r"^\s*\d+\s+(\S+)\s+<- Most Recent", re.M)
# A key on a line that must be named in an error: keep the words, hide the key.
KEY_IN_LINE = re.compile(r"^(\s*pre-shared-key(?: address \S+(?: \S+)? key)?(?: [067])?) \S+")


def config_text(config: HConfig) -> str:
    """An HConfig as IOS prints it: one space of indentation per level."""
    return "".join(f"{' ' * (c.depth() - 1)}{c.text}\n" for c in config.all_children())


def parse_config(text: str, what: str = "configuration") -> HConfig:
    """IOS configuration text as a hier_config tree under cgw's IOS rules."""
    try:
        return get_hconfig(rules.CgwCiscoIosDriver(), text)
    except (DuplicateChildError, ValueError) as error:
        detail = masked_line(str(error).splitlines()[0] if str(error) else type(error).__name__)
        raise ParseError(f"cisco_ios: cannot read the {what}: {detail}") from None


def masked_line(line: str) -> str:
    """A configuration line safe for messages: any pre-shared key replaced by <psk>."""
    return PROCESS_MASKER.mask(KEY_IN_LINE.sub(r"\1 <psk>", line.strip()))


def comparable_config(text: str) -> list[str]:
    """Running-config text without the lines that change on their own, for equality tests."""
    lines = [line.rstrip() for line in text.splitlines()]
    return [line for line in lines if line and not VOLATILE_LINES.match(line)]


def backup_file(backup: str, filesystem: str = BACKUP_FILESYSTEM) -> str:
    """The device file holding the pre-change configuration, named by its content."""
    digest = hashlib.sha256("\n".join(comparable_config(backup)).encode()).hexdigest()
    return f"{filesystem}cgw-{digest[:12]}.cfg"


def scope(
    device: Device, vpn: VpnConnection, running: HConfig | None = None, *, prune: bool = False
) -> rules.Scope:
    """The names, numbers and addresses that mark what cgw owns for `vpn` on `device`.

    ISAKMP policies: the numbers cgw would use (plan() leaves out those it cannot prove are
    its own) and those the VPN's isakmp profiles on the device name.
    """
    tunnels = device.local.tunnel_numbers
    names = rules.ANY_VPN if prune else re.escape(object_prefix(vpn))
    proven = rules.proven_isakmp_policies(running, names) if running else frozenset()
    policies = tuple(
        sorted(
            {
                algorithms.ISAKMP_POLICY_BASE + n
                for n in tunnels
                if algorithms.ISAKMP_POLICY_BASE + n <= algorithms.ISAKMP_POLICY_MAX
            }
            | proven
        )
    )
    described = rules.described_neighbours(running, names) if running else frozenset()
    return rules.Scope(
        prefix=object_prefix(vpn),
        names=names,
        tunnels=tunnels,
        isakmp_policies=policies,
        neighbours=tuple(sorted({str(t.aws_inside_ip) for t in vpn.tunnels} | described)),
        networks=tuple(
            bgp_network(p)
            for p in sorted(
                set(device.local.advertised_prefixes)
                | (rules.listed_networks(running, names) if running else set())
            )
        ),
    )


def intended_text(intended: RenderedConfig) -> str:
    """The rendered running-config lines of a RenderedConfig."""
    for rendered in intended.files:
        if rendered.path == RUNNING_CONFIG_FILE:
            return rendered.content
    raise CgwError(f"{intended.device}: rendered config has no {RUNNING_CONFIG_FILE}")


def remediation_lines(config: HConfig) -> tuple[str, ...]:
    """A remediation tree as the lines to type, in order, one space per level."""
    return tuple(f"{' ' * (c.depth() - 1)}{c.text}" for c in config.all_children_sorted())


class CiscoIosDeployer:
    """cgw.push.Deployer for IOS and IOS-XE."""

    def __init__(
        self,
        revert_minutes: int = REVERT_MINUTES,
        filesystem: str = BACKUP_FILESYSTEM,
        block_lines: int = BLOCK_LINES,
    ) -> None:
        self.revert_minutes = revert_minutes
        self.filesystem = filesystem
        self.block_lines = block_lines

    def __repr__(self) -> str:
        return f"CiscoIosDeployer(revert_minutes={self.revert_minutes})"

    def read_running(self, session: Session) -> DeviceConfig:
        """`show running-config` (needs privileged mode)."""
        device = session.device
        return DeviceConfig.cli(device.name, device.platform, self.running_text(session))

    def running_text(self, session: Session) -> str:
        """The text of `show running-config`; refused without privilege 15."""
        output = session.send_command("show running-config")
        if "% Invalid input" in output or "Current configuration" not in output:
            raise DeviceError(
                f"device {session.device.name}: `show running-config` was refused; cgw needs"
                " privilege 15 (log in as such a user or set credentials.secret_env)"
            )
        return output

    def owned(
        self,
        running_config: DeviceConfig,
        device: Device,
        vpn: VpnConnection,
        *,
        prune: bool = False,
    ) -> DeviceConfig:
        """Only the sections and lines cgw owns for `vpn` (see rules.OWNED_SECTIONS).

        With `prune`, the objects cgw created for any other VPN (an old VPN of this device:
        named `aws-vpn-*`, or described so) are owned too, so the plan removes them.
        """
        running = running_config.text
        wide = scope(device, vpn, None, prune=prune)
        tree = parse_config(rules.scoped_text(running, wide), "running configuration")
        foreign = rules.foreign_tunnels(tree, wide)
        if foreign:
            raise DeviceError(
                f"device {device.name}: `{foreign[0]}` exists and is not cgw's for"
                f" {object_prefix(vpn)} (its description does not name it); choose free"
                " local.tunnel_numbers, or --prune if it is an old VPN's that cgw created"
            )
        text = config_text(rules.owned_config(tree, scope(device, vpn, tree, prune=prune)))
        return DeviceConfig.cli(device.name, device.platform, text)

    def plan(
        self, owned: DeviceConfig, intended: RenderedConfig, device: Device, vpn: VpnConnection
    ) -> Plan:
        """The IOS lines that turn the owned running config into the intended one, in order."""
        running = parse_config(owned.text)
        target = parse_config(intended_text(intended))
        release_foreign_isakmp_policies(running, target, device, rules.ANY_VPN)
        notes = rules.reconcile_keys(running, target)
        running_text, target_text = config_text(running), config_text(target)
        rules.keep_shared_parents(running, target)
        remediation = WorkflowRemediation(running, target).remediation_config
        rules.trim_subsumed_negations(remediation)
        rules.drop_shared_removals(remediation)
        leaving = running.difference(target)
        rules.drop_shared_removals(leaving)  # hier_config's difference holds lines, not negations
        for line in rules.NEVER_REMOVED:
            kept = leaving.get_child(equals=line)
            if kept is not None:
                kept.delete()
        return Plan(
            device=device.name,
            platform=intended.platform,
            vpn_id=vpn.id,
            running=running_text,
            intended=target_text,
            commands=remediation_lines(remediation),
            remove=remediation_lines(leaving),
            add=remediation_lines(target.difference(running)),
            notes=notes,
        )

    def transaction(self, session: Session, plan: Plan, backup: DeviceConfig) -> IosTransaction:
        """Backup file + revert timer, the plan in blocks, confirm or restore."""
        return IosTransaction(
            session,
            plan,
            backup_file(backup.text, self.filesystem),
            revert_minutes=self.revert_minutes,
            block_lines=self.block_lines,
        )

    def recover(self, session: Session, device: Device, backup_config: DeviceConfig) -> str:
        """After a dropped push: put the device back exactly as `backup` holds it.

        A pending revert timer is fired only when it is cgw's (the archive it restores holds
        `backup`); another one is left alone and named. Otherwise the backup file saved by
        prepare() is replayed with `configure replace`. Returns what was done.
        """
        backup = backup_config.text
        if comparable_config(self.running_text(session)) == comparable_config(backup):
            return "the device holds its previous configuration"
        channel = IosChannel(session, max_wait_s=self.revert_minutes * 60)
        if channel.pending_revert():
            if not channel.archive_holds(backup):
                raise DeviceError(
                    f"device {device.name}: a configuration change with a revert timer is"
                    " pending that is not cgw's; cgw leaves it alone (see `show archive config"
                    " rollback timer`) and restores nothing"
                )
            if channel.revert_now() and comparable_config(
                self.running_text(session)
            ) == comparable_config(backup):
                return "cgw's pending revert timer restored the previous configuration"
        name = backup_file(backup, self.filesystem)
        channel.restore(name)
        if comparable_config(self.running_text(session)) != comparable_config(backup):
            raise DeviceError(
                f"device {device.name}: restoring {name} did not give back the previous"
                " configuration; compare it with the local backup by hand"
            )
        channel.save()
        return f"restored the previous configuration from {name} and saved it"


def release_foreign_isakmp_policies(
    running: HConfig, target: HConfig, device: Device, names: str
) -> None:
    """Take the isakmp policies cgw cannot prove it created out of `running` (never touched).

    One that cgw wants to create under the same number is identical (kept: nothing changes, and
    the pushed profile description proves it from then on) or a conflict cgw refuses.
    """
    for number, section in rules.foreign_isakmp_policies(running, names).items():
        wanted = target.get_child(equals=section.text)
        if wanted is not None and config_text_of(wanted) != config_text_of(section):
            raise DeviceError(
                f"device {device.name}: `crypto isakmp policy {number}` exists and is not"
                " cgw's (no isakmp profile of this VPN names it); choose local.tunnel_numbers"
                f" so that {algorithms.ISAKMP_POLICY_BASE} + the tunnel number is a free policy"
            )
        section.delete()
        if wanted is not None:
            running.add_deep_copy_of(wanted)


def config_text_of(section: HConfigChild) -> list[str]:
    """A section's lines, sorted, for comparing two copies of it."""
    return [*sorted(c.text for c in section.all_children()), section.text]


class IosChannel(Channel):
    """The session's raw channel as IOS speaks it: commands up to the prompt, config blocks."""

    def __init__(self, session: Session, max_wait_s: float | None = None) -> None:
        super().__init__(session)
        self.timeout_s = float(session.device.timeout_s)
        self.max_wait_s = max_wait_s  # the revert window: no wait is longer than this
        base = re.escape(str(self.connection.base_prompt)[:15])
        # IOS may shorten a long hostname in the prompt; match on its start.
        self.exec_prompt = re.compile(rf"{base}[^\s#()]*#\s*$")
        self.config_prompt = re.compile(rf"{base}[^\s#()]*\([^)\r\n]+\)#")
        self.any_prompt = re.compile(rf"{base}[^\s#()]*(\([^)\r\n]+\))?#\s*$")

    def timeout_for(self, line: str) -> float:
        """How long `line` may take: the slow commands' own allowance, within the revert window."""
        allowance = next(
            (t for start, t in SLOW_COMMAND_TIMEOUTS_S.items() if line.startswith(start)), 0.0
        )
        wait = max(self.timeout_s, allowance)
        return min(wait, self.max_wait_s) if self.max_wait_s else wait

    def command(self, line: str, *, prompt: re.Pattern[str] | None = None) -> str:
        """Run one command up to `prompt` (default: any), accepting default answers on the way."""
        expected = prompt or self.any_prompt
        sent = f"`{masked_line(line)}`"
        timeout_s = self.timeout_for(line)
        self.write(line + "\n", sent)
        output = ""
        for _ in range(MAX_ANSWERS + 1):
            output += self.read_until(
                lambda text: bool(expected.search(text) or QUESTION.search(text)),
                sent,
                timeout_s,
            )
            if expected.search(output):
                return output
            self.write("\n", sent)
        raise DeviceError(f"device {self.device.name}: too many questions after {sent}")

    def block(self, lines: Sequence[str]) -> list[str]:
        """Write config-mode lines in one go; returns each line's echo and reply, in order."""
        sent = f"a block of {len(lines)} lines starting `{masked_line(lines[0])}`"
        self.write("".join(f"{line}\n" for line in lines), sent)
        count = len(lines)
        output = self.read_until(
            lambda text: len(self.config_prompt.findall(text)) >= count,
            sent,
            self.timeout_s + 0.5 * count,
        )
        return self.config_prompt.split(output)[:count]

    def restore(self, name: str) -> None:
        """`configure replace <backup> force`: the running config becomes the backup file."""
        self.checked(f"configure replace {name} force")

    def revert_now(self) -> bool:
        """`configure revert now`; False when no change was pending (the timer had expired)."""
        output = self.command("configure revert now")
        if NO_PENDING_ROLLBACK.search(output):
            return False
        self.check_rollback("configure revert now", output)
        return True

    def checked(self, line: str) -> None:
        """Run a replace/revert; anything but a clean "Rollback Done" raises DeviceError."""
        self.check_rollback(line, self.command(line))

    def check_rollback(self, line: str, output: str) -> None:
        problem = rollback_failure(output)
        if problem is not None:
            raise DeviceError(f"device {self.device.name}: `{line}` failed: {problem}")

    def confirm_revert(self) -> None:
        """`configure confirm`; an expired timer means the router reverted: an error."""
        output = self.command("configure confirm")
        if NO_PENDING_ROLLBACK.search(output) or re.search(r"^\s*%", output, re.M):
            raise DeviceError(
                f"device {self.device.name}: `configure confirm` found no pending change (the"
                " revert timer expired and the router restored its previous configuration);"
                " nothing was saved"
            )

    def save(self) -> None:
        """`write memory`, checking the router said [OK]."""
        output = self.command("write memory")
        if not SAVED.search(output):
            problems = [masked_line(t) for t in output.splitlines()[1:] if t.strip()][:2]
            raise DeviceError(
                f"device {self.device.name}: `write memory` did not finish: "
                + (" / ".join(problems) or "no [OK]")
            )

    def pending_revert(self) -> bool:
        """Whether a revert timer is running (`show archive config rollback timer`)."""
        output = self.command("show archive config rollback timer")
        if NO_PENDING_ROLLBACK.search(output) or NO_ARCHIVE.search(output):
            return False
        return bool(re.search(r"Timer\s+type|Timer\s+value", output, re.I))

    def archive_holds(self, backup: str) -> bool:
        """Whether the pending revert is cgw's: armed by its user, restoring exactly `backup`."""
        timer = self.command("show archive config rollback timer")
        user = re.search(r"^\s*User\s*:\s*(\S+)", timer, re.M)
        if user and user.group(1) != self.device.credentials.username:
            return False
        found = ARCHIVE_MOST_RECENT.search(self.command("show archive"))
        if found is None:
            return False
        text = self.command(f"more {found.group(1)}")
        body = self.exec_prompt.sub("", "\n".join(text.splitlines()[1:]))
        return comparable_config(body) == comparable_config(backup)


def rollback_failure(output: str) -> str | None:
    """Why a `configure replace` / `configure revert` reply is not a clean "Rollback Done"."""
    if not REPLACE_FAILED.search(output) and ROLLBACK_DONE.search(output):
        return None
    problems = [masked_line(t) for t in output.splitlines()[1:-1] if t.strip()][:3]
    return " / ".join(problems) or 'no "Rollback Done"'


def rejected_line(lines: Sequence[str], replies: Sequence[str]) -> tuple[str, str] | None:
    """The first line IOS refused and its message, from each line's echoed reply."""
    for line, reply in zip(lines, replies, strict=False):
        answer = reply.splitlines()[1:]  # the first line is the echo of the command
        message = next((a.strip() for a in answer if REJECTION.match(a)), None)
        if message is not None:
            return line, message
    return None


def blocks(lines: Sequence[str], max_lines: int, max_chars: int = BLOCK_CHARS) -> list[list[str]]:
    """Lines grouped into blocks of at most `max_lines` lines and about `max_chars` characters."""
    grouped: list[list[str]] = []
    size = 0
    for line in lines:
        if not grouped or len(grouped[-1]) >= max_lines or size + len(line) > max_chars:
            grouped.append([])
            size = 0
        grouped[-1].append(line)
        size += len(line) + 1
    return grouped


class IosTransaction:
    """One IOS change: backup file, revert timer, block push, confirm or restore."""

    confirm_after_verify = False

    def __init__(
        self,
        session: Session,
        plan: Plan,
        backup_name: str,
        *,
        revert_minutes: int = REVERT_MINUTES,
        block_lines: int = BLOCK_LINES,
    ) -> None:
        self.plan = plan
        self.backup_name = backup_name
        self.revert_minutes = revert_minutes
        self.block_lines = block_lines
        self.channel = IosChannel(session, max_wait_s=revert_minutes * 60)
        self.revert_armed = False  # the router reverts by itself unless confirmed
        self.in_config_mode = False
        self.saved = False  # write memory ran on the new configuration

    def __repr__(self) -> str:
        return f"IosTransaction(device={self.plan.device!r}, backup={self.backup_name!r})"

    @property
    def device_name(self) -> str:
        return self.channel.device.name

    def prepare(self) -> None:
        """Save the running config on the device and enter config mode under a revert timer."""
        saved = self.channel.command(f"copy running-config {self.backup_name}")
        if re.search(r"%\s*Error|%\s*Invalid", saved):
            raise DeviceError(
                f"device {self.device_name}: could not save the backup {self.backup_name}"
            )
        entered = self.channel.command(f"configure terminal revert timer {self.revert_minutes}")
        if NO_ARCHIVE.search(entered):
            raise DeviceError(
                f"device {self.device_name}: IOS refuses the revert timer without an archive"
                ' ("% Please configure the archive path"); nothing was changed. Add it on the'
                " router first, e.g. `archive` / ` path flash:archive` / ` maximum 5`"
            )
        if not self.channel.config_prompt.search(entered):
            raise DeviceError(
                f"device {self.device_name}: `configure terminal revert timer` was refused: "
                + " ".join(masked_line(t) for t in entered.splitlines() if "%" in t)
            )
        self.revert_armed = True
        self.in_config_mode = True

    def apply(self) -> None:
        """Send the plan in blocks; on a refused line restore the backup and name the line."""
        for group in blocks(self.plan.commands, self.block_lines):
            try:
                replies = self.channel.block(group)
            except DeviceError as error:
                raise self.cut_off(error) from None
            refused = rejected_line(group, replies)
            if refused is not None:
                self.rollback()
                line, message = refused
                raise DeviceError(
                    f"device {self.device_name} rejected `{masked_line(line)}` ({message});"
                    " the previous configuration was restored"
                )
        self.leave_config_mode()

    def leave_config_mode(self) -> None:
        if self.in_config_mode:
            self.channel.command("end", prompt=self.channel.exec_prompt)
            self.in_config_mode = False

    def confirm(self) -> None:
        """Keep the change: cancel the revert timer and save to startup-config."""
        try:
            self.leave_config_mode()
            if self.revert_armed:
                self.revert_armed = False
                self.channel.confirm_revert()
            self.channel.save()
            self.saved = True
        except DeviceError as error:
            raise self.cut_off(error) from None

    def rollback(self) -> None:
        """Put the device back as the backup holds it (revert now, else configure replace).

        After `write memory` the restored configuration is saved too, else a reload would bring
        back the change that was rolled back.
        """
        self.leave_config_mode()
        reverted = False
        if self.revert_armed:
            self.revert_armed = False
            reverted = self.channel.revert_now()
        if not reverted:
            self.channel.restore(self.backup_name)
        if self.saved:
            self.channel.save()
            self.saved = False

    def cut_off(self, error: DeviceError) -> DeviceError:
        """The error for a push interrupted midway: restore now if the device still answers."""
        if self.channel.alive():
            try:
                self.rollback()
            except DeviceError:
                pass
            else:
                return DeviceError(f"{error}; the previous configuration was restored")
        return DeviceError(f"{error}; {self.safety_net()}")

    def safety_net(self) -> str:
        """What brings the device back after this transaction was cut off."""
        if self.revert_armed:
            return (
                f"the router restores its previous configuration when its {self.revert_minutes}"
                " minute revert timer expires"
            )
        return f"cgw's recovery restores {self.backup_name} (configure replace)"


DEPLOYER = CiscoIosDeployer()
