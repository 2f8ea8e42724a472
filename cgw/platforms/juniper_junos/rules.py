"""What cgw owns in a Junos configuration and how its `set` lines change, written as data.

Every pattern matches a `set` path without the leading `set ` (e.g. `security ike gateway X
address 198.51.100.1`). deploy.py turns these tables into the scope filter, hier_config's
idempotency and ordering rules, and the shape of `delete` lines.
"""

from __future__ import annotations

# Hierarchies whose objects are named after the VPN: `<root> <name> ...` belongs to cgw when
# <name> is the VPN's object prefix or starts with it and a dash (`aws-vpn-0abc1234-t1-1`).
NAMED_OBJECT_ROOTS = (
    "security ike proposal",
    "security ike policy",
    "security ike gateway",
    "security ipsec proposal",
    "security ipsec policy",
    "security ipsec vpn",
    "policy-options policy-statement",
)
# The BGP group is named exactly after the VPN (its neighbours live inside it).
BGP_GROUP_ROOT = "protocols bgp group"

# Statements about the device's tunnel units; group 1 is the st0 unit number.
ST0_UNIT = r"interfaces st0 unit (\d+)(?= |$)"
ST0_ZONE_BINDING = r"security zones security-zone \S+ interfaces st0\.(\d+)(?= |$)"
# Only the next hops into the tunnels: another next hop of the same route is not cgw's.
ST0_STATIC_NEXT_HOP = (
    r"routing-options static route \S+ (?:next-hop|qualified-next-hop) st0\.(\d+)(?= |$)"
)

# A stale st0 unit of cgw's own: one whose description names a tunnel of this VPN even though
# the inventory no longer assigns that unit (renumbered tunnels). Group 1: the unit number.
ST0_DESCRIPTION = r"interfaces st0 unit (\d+) description {prefix}-t\d+$"
# Every name cgw gives an object starts with the VPN's prefix; a VPN id has 8 or 17 hex digits
# (AWS), so `aws-vpn-0a1b2c3d4e5f600110` (18) is nobody's VPN and never cgw's.
CGW_NAME = r"aws-(vpn-(?:[0-9a-f]{17}|[0-9a-f]{8}))(?=-|$)"

# Statements cgw needs but shares with whoever else configures the box: added when absent, never
# changed or removed. `{untrust_zone}`/`{wan_interface}`/`{local_asn}` come from the device's
# local settings. A shared statement's identity is its text without a trailing value (`... mss`),
# so a value someone chose (mss 1360, another autonomous-system) is kept.
SHARED_STATEMENTS = (
    "security flow tcp-mss ipsec-vpn mss",
    # `local-as` needs a system AS ("you must configure an AS number before you specify the
    # local-as number", Juniper's local-as reference): rendered for BGP, kept when present.
    "routing-options autonomous-system",
)

# Host-inbound traffic on the WAN interface: the interface's own list overrides the zone's
# ("Interface configuration overrides that of the zone", Juniper, Understanding How to Control
# Inbound Traffic Based on Traffic Types). cgw reads both lists and adds `ike` where it widens
# what the interface accepts without narrowing it (deploy.host_inbound_ike); it never removes any.
ZONE_HOST_INBOUND = "security zones security-zone {untrust_zone} host-inbound-traffic"
INTERFACE_HOST_INBOUND = (
    "security zones security-zone {untrust_zone} interfaces {wan_interface} host-inbound-traffic"
)

# Statements that hold one value: a new value replaces the old one in place (a plain `set`), and
# removing one deletes the statement without its value. (root regex, keywords regex)
SINGLE_VALUED = (
    (
        r"security ike proposal \S+",
        r"authentication-method|dh-group|authentication-algorithm|encryption-algorithm"
        r"|lifetime-seconds|description",
    ),
    (r"security ike policy \S+", r"mode|pre-shared-key|description"),
    (
        r"security ike gateway \S+",
        r"ike-policy|external-interface|local-address|version|dead-peer-detection interval"
        r"|dead-peer-detection threshold|nat-keepalive|local-identity|remote-identity",
    ),
    (
        r"security ipsec proposal \S+",
        r"protocol|authentication-algorithm|encryption-algorithm|lifetime-seconds"
        r"|lifetime-kilobytes|description",
    ),
    (r"security ipsec policy \S+", r"perfect-forward-secrecy keys"),
    (
        r"security ipsec vpn \S+",
        r"bind-interface|df-bit|ike gateway|ike ipsec-policy|establish-tunnels",
    ),
    (r"interfaces st0 unit \d+", r"description|family inet mtu"),
    (r"protocols bgp group \S+", r"type|peer-as|local-as|hold-time|description"),
    (r"protocols bgp group \S+ neighbor \S+", r"description|hold-time|peer-as|local-as"),
    (r"routing-options static route \S+ qualified-next-hop \S+", r"preference|metric"),
    (r"security flow tcp-mss ipsec-vpn", r"mss"),
)
# Lists, deliberately absent above: a gateway's `address` (Junos keeps up to five), an st0
# unit's `family inet address`, a policy's `proposals`, a neighbour's `export`, route filters.

# Containers a `delete` removes whole when nothing cgw intends is left inside them (shortest
# first wins), so a removed object goes in one line instead of leaf by leaf.
OBJECT_ROOTS = (
    r"security ike (?:proposal|policy|gateway) \S+",
    r"security ipsec (?:proposal|policy|vpn) \S+",
    r"interfaces st0 unit \d+",
    r"security zones security-zone \S+ interfaces st0\.\d+",
    r"policy-options policy-statement \S+",
    r"policy-options policy-statement \S+ term \S+",
    r"protocols bgp group \S+",
    r"protocols bgp group \S+ neighbor \S+",
    r"routing-options static route \S+ qualified-next-hop \S+",
)

# The order lines are sent in (hier_config OrderingRule weights). Junos applies a commit as a
# whole, so order only matters for readability and for a `delete` before a `set` of the same
# path: references go before the objects they name, removals before additions.
DELETE_ORDER = (
    "delete routing-options",
    "delete protocols bgp",
    "delete policy-options",
    "delete security zones",
    "delete security ipsec vpn",
    "delete interfaces st0",
    "delete security ike gateway",
    "delete security ipsec policy",
    "delete security ike policy",
    "delete security ipsec proposal",
    "delete security ike proposal",
    "delete security flow",
)
SET_ORDER = (
    "set security ike proposal",
    "set security ike policy",
    "set security ike gateway",
    "set security ipsec proposal",
    "set security ipsec policy",
    "set interfaces st0",
    "set security ipsec vpn",
    "set security flow",
    "set security zones",
    "set policy-options",
    "set protocols bgp",
    "set routing-options",
)

# Words in the router's answer to one line that mean it refused the line.
REJECTION_MARKERS = ("syntax error", "error:", "unknown command", "missing argument")
# What the router prints when `commit check` / `commit` went through.
CHECK_PASSED = "configuration check succeeds"
COMMIT_DONE = "commit complete"
# What an older release answers to `commit confirmed` in `configure private`
# (Juniper/py-junos-eznc#954): cgw then makes the change in `configure exclusive` instead.
PRIVATE_CONFIRMED_REFUSED = "commit confirmed not supported for private configuration"
