"""What cgw owns in a PAN-OS configuration and how its `set` lines change, written as data.

Patterns match a `set` line without the leading `set `. `{prefix}` is the VPN's object
prefix (`aws-vpn-0abc1234`), `{router}` the router path from the device's options.
"""

from __future__ import annotations

# Hierarchies whose entries are named after the VPN (`<root> <name> ...` with <name> the prefix
# or the prefix and a dash).
NAMED_OBJECT_ROOTS = (
    "network ike crypto-profiles ike-crypto-profiles",
    "network ike crypto-profiles ipsec-crypto-profiles",
    "network ike gateway",
    "network tunnel ipsec",
    "rulebase security rules",
    "zone",
    "network routing-profile bgp timer-profile",
)
# Under the router: entries named after the VPN.
ROUTER_NAMED_ROOTS = (
    "{bgp} peer-group",
    "{bgp} policy export rules",
    "{router} routing-table ip static-route",
)
# Statements about the device's tunnel units and their memberships; group 1 is the unit.
TUNNEL_UNIT = r"network interface tunnel units tunnel\.(\d+)(?= |$)"
ZONE_MEMBER = r"zone \S+ network layer3 tunnel\.(\d+)$"
ROUTER_MEMBER = r"{router} interface tunnel\.(\d+)$"
# Leaves that hold a list of members: a `set` adds a member, a `delete` of the full line
# removes one; lists of other owners (a zone's, a router's interfaces) are split per member.
MEMBER_PATHS = (
    r"^set zone \S+ network layer3$",
    r"^set network (?:virtual-router \S+|logical-router \S+ vrf \S+) interface$",
    r"^set .* used-by$",
)
# Ordered lists cgw owns whole (preference order matters): changed by delete + set.
ORDERED_LISTS = (
    r"network ike crypto-profiles \S+ \S+ (?:hash|dh-group|encryption|esp authentication"
    r"|esp encryption)",
)
# Statements cgw needs but shares with whoever else configures the router: added when absent,
# never changed or removed (the router's BGP instance).
SHARED_STATEMENTS = ("{bgp} enable", "{bgp} router-id", "{bgp} local-as")
# Containers a `delete` removes whole when nothing cgw intends is left inside them.
OBJECT_ROOTS = (
    r"network ike crypto-profiles (?:ike|ipsec)-crypto-profiles \S+",
    r"network ike gateway \S+",
    r"network tunnel ipsec \S+",
    r"network interface tunnel units tunnel\.\d+",
    r"rulebase security rules \S+",
    r"network routing-profile bgp timer-profile \S+",
    r"network (?:virtual-router \S+ protocol|logical-router \S+ vrf \S+) bgp peer-group \S+",
    r"network (?:virtual-router \S+ protocol|logical-router \S+ vrf \S+) bgp peer-group \S+"
    r" peer \S+",
    r"network virtual-router \S+ protocol bgp policy export rules \S+",
    r"network (?:virtual-router \S+|logical-router \S+ vrf \S+) routing-table ip static-route \S+",
)
# The order lines are sent in: references removed before the objects they name, objects
# created before what references them. PAN-OS validates the candidate as a whole at commit.
DELETE_ORDER = (
    "delete rulebase",
    "delete network virtual-router",
    "delete network logical-router",
    "delete network routing-profile",
    "delete zone",
    "delete network tunnel ipsec",
    "delete network interface tunnel",
    "delete network ike gateway",
    "delete network ike crypto-profiles",
)
SET_ORDER = (
    "set network ike crypto-profiles ike-crypto-profiles",
    "set network ike crypto-profiles ipsec-crypto-profiles",
    "set network ike gateway",
    "set network interface tunnel",
    "set network tunnel ipsec",
    "set zone",
    "set network routing-profile",
    "set network virtual-router",
    "set network logical-router",
    "set rulebase",
)
# Words in the firewall's answer to one line that mean it refused the line.
REJECTION_MARKERS = ("Invalid syntax", "Unknown command", "Server error", "Validation Error")
COMMIT_DONE = "Configuration committed successfully"
# What PAN-OS stores a pre-shared key as once committed (encrypted with the master key).
ENCRYPTED_KEY_PREFIX = "-AQ=="
