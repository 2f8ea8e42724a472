"""Software profiles of the simulated IOS / IOS-XE router, and the behaviour table behind them.

Each profile is a release the simulator imitates. BEHAVIOURS lists every release-dependent (or
release-independent but modelled) behaviour with the releases it applies to and its public
source; a behaviour without one says "assumption". The simulator reads only this module and its
own grammar: it never imports cgw's platforms.
"""

from __future__ import annotations

import re
from dataclasses import dataclass


@dataclass(frozen=True)
class IosProfile:
    """One software release as the simulator imitates it."""

    name: str
    release: str  # as `show version`'s IOS line prints it
    xe_banner: str | None  # `Cisco IOS XE Software, Version ...` (None on classic IOS)
    train: str  # the IOS line's image description
    refuses_weak_crypto: bool  # FN72510: IOS XE 17.11.1 and later
    pqc_line: bool  # `show crypto ikev2 sa` prints a PQC line (assumption, see BEHAVIOURS)

    @property
    def version_line(self) -> str:
        return f"version {'.'.join(self.release.split('.')[:2]).split('(')[0]}"


PROFILES: dict[str, IosProfile] = {
    "15.9": IosProfile(
        "15.9",
        "15.9(3)M4",
        None,
        "Cisco IOS Software, IOSv Software (VIOS-ADVENTERPRISEK9-M)",
        refuses_weak_crypto=False,
        pqc_line=False,
    ),
    "16.12": IosProfile(
        "16.12",
        "16.12.4",
        "16.12.04",
        "Cisco IOS Software [Gibraltar], Virtual XE Software (X86_64_LINUX_IOSD-UNIVERSALK9-M)",
        refuses_weak_crypto=False,
        pqc_line=False,
    ),
    "17.9": IosProfile(
        "17.9",
        "17.9.4a",
        "17.09.04a",
        "Cisco IOS Software [Cupertino], Virtual XE Software (X86_64_LINUX_IOSD-UNIVERSALK9-M)",
        refuses_weak_crypto=False,
        pqc_line=False,
    ),
    "17.12": IosProfile(
        "17.12",
        "17.12.1a",
        "17.12.01a",
        "Cisco IOS Software [Dublin], Virtual XE Software (X86_64_LINUX_IOSD-UNIVERSALK9-M)",
        refuses_weak_crypto=True,
        pqc_line=True,
    ),
}
DEFAULT_PROFILE = "17.9"

# Lines FN72510 says IOS XE 17.11.1+ refuses by default, per configuration mode.
WEAK_CRYPTO: dict[str, re.Pattern[str]] = {
    "config-ikev2-proposal": re.compile(r"^group(?: \d+)*? (?:1|2|5|24)(?: |$)"),
    "config-isakmp": re.compile(r"^group (?:1|2|5)$|^hash md5$|^encr(?:yption)? (?:des|3des)$"),
    "ipsec-profile": re.compile(r"^set pfs group(?:1|2|5|24)$"),
}
# The wording of the refusal is not in any public source cgw found (assumption).
WEAK_CRYPTO_REFUSAL = (
    "% Weak crypto algorithm is not allowed. Use 'crypto engine compliance shield disable'"
    " and reload to allow it."
)


@dataclass(frozen=True)
class Behaviour:
    """One row of the behaviour table."""

    releases: str
    behaviour: str
    source: str  # a public source, or "assumption: <why>"


FN72510 = (
    "Cisco Field Notice FN72510 (CSCwc72588), cisco.com/c/en/us/support/docs/field-notices/725/"
    "fn72510.html"
)
ROLLBACK_DOC = (
    "Cisco, Configuration Replace and Configuration Rollback (IOS config-mgmt guide,"
    " cisco.com/en/US/docs/ios-xml/ios/config-mgmt/configuration/12-2sx/cm-config-rollback.html)"
)
GIST_2901 = "public transcript, Cisco 2901 IOS 15.x: gist.github.com/ryankearney/8920941"

BEHAVIOURS: tuple[Behaviour, ...] = (
    Behaviour(
        "17.12 (IOS XE 17.11.1+)",
        "refuses DH group 1/2/5/24 in `crypto ikev2 proposal`, group 1/2/5 (and des/3des/md5)"
        " in `crypto isakmp policy`, weak `set pfs` groups in `crypto ipsec profile`",
        FN72510,
    ),
    Behaviour(
        "17.12",
        "the refusal message's wording",
        "assumption: no public transcript of the refusal found",
    ),
    Behaviour("15.9, 16.12, 17.9", "accept every DH group AWS offers", FN72510),
    Behaviour(
        "all",
        "`configure terminal revert timer N` without `archive path` answers"
        ' "% Please configure the archive path before using the rollback feature"',
        "issue #9 (transcript quoted there); " + ROLLBACK_DOC,
    ),
    Behaviour(
        "all",
        "arming the revert timer archives the running config: `Rollback Confirmed Change:"
        " Backing up current running config to <archive>`; `configure replace` ends with"
        " `Total number of passes: N` / `Rollback Done`",
        GIST_2901,
    ),
    Behaviour(
        "all",
        '`configure confirm` with no timer pending: "% No Rollback Confirmed Change pending"',
        "issue #9 (quoted); wording of `configure revert now` in the same case: assumption",
    ),
    Behaviour(
        "all",
        "`show archive config rollback timer` prints `Timer type`/`Timer value`/`User` lines"
        " while a timer runs, else the no-pending message",
        "assumption: layout from " + ROLLBACK_DOC + " examples, not a captured transcript",
    ),
    Behaviour(
        "all",
        "`show archive` marks the newest archive `<- Most Recent`; `more <file>` prints a file",
        GIST_2901,
    ),
    Behaviour(
        "all",
        "`show version`: XE 16+ prints `Cisco IOS XE Software, Version 17.09.04a` then the IOS"
        " line `..., Version 17.9.4a, RELEASE SOFTWARE`; classic IOS only the IOS line",
        "ntc-templates tests/cisco_ios/show_version/*.raw"
        " (tests/data/cisco_ios/release/show_version)",
    ),
    Behaviour(
        "all",
        "multi-value lines (`group`, `encryption`, `integrity`, `prf`, `set transform-set`)"
        " are kept in the order typed (the order is the preference)",
        "assumption: consistent with Cisco's IKEv2 proposal docs, not verified per release",
    ),
    Behaviour(
        "all",
        "`crypto isakmp policy`: `encryption aes 128` is printed `encr aes`; `hash sha` (the"
        " default) is not printed; `crypto ipsec profile`: `set security-association lifetime"
        " seconds 3600` (the default) is not printed",
        "real IOS-XE 16.4 built from AWS's sample: github batfish/lab-validation"
        " snapshots/eos_iosxe_aws_demo/configs/exitgw (tests/data/cisco_ios/running_configs)",
    ),
    Behaviour(
        "all",
        "`crypto isakmp policy`: `lifetime 86400` (the default) is not printed",
        "assumption: the default per Cisco's IKE command reference, hiding not captured",
    ),
    Behaviour(
        "all",
        "`crypto isakmp profile` children printed with three spaces of indentation",
        "AWS's IOS sample configuration (tests/data/aws_samples); real configs",
    ),
    Behaviour(
        "17.12",
        "`show crypto ikev2 sa` adds a post-quantum (PQC) line under each SA",
        "assumption: Cisco's PQC docs for IOS XE 17.11+/17.12 (m-pqc-ikev2.html); no public"
        " capture of the line found",
    ),
    Behaviour(
        "all",
        "lines outside the simulator's grammar in an initial configuration are kept verbatim"
        " in place (real IOS accepts its own running config)",
        "assumption: the simulator models only the commands cgw sends",
    ),
    Behaviour(
        "all",
        "prompts `host>`, `host#`, `host(config-xxx)#`; `enable` asks `Password: `",
        "ntc-templates/netmiko cisco_ios prompt handling; real transcripts",
    ),
)


def profile(name: str | None) -> IosProfile:
    """The profile called `name` (default: 17.9); an unknown name is a ValueError."""
    key = name or DEFAULT_PROFILE
    if key not in PROFILES:
        raise ValueError(f"unknown IOS profile {key!r}; known: {', '.join(PROFILES)}")
    return PROFILES[key]


def refusal(profile: IosProfile, mode: str, line: str) -> str | None:
    """The message the release answers `line` with in `mode` when it refuses it, else None."""
    if not profile.refuses_weak_crypto:
        return None
    pattern = WEAK_CRYPTO.get(mode)
    if pattern is not None and pattern.search(line):
        return WEAK_CRYPTO_REFUSAL
    return None
