"""Cisco IOS-XE: the IOS platform under netmiko's `cisco_xe` type.

IOS-XE prints the VTI, crypto and BGP objects cgw owns exactly as classic IOS does, so both share
the `cisco_ios` templates and algorithm table; only the name and SSH driver differ.
"""

from __future__ import annotations

from cgw.platforms.cisco_ios import TEMPLATE_DIR, CiscoIosPlatform

# CSR 1000v / Catalyst 8000v name their first port GigabitEthernet1.
PLATFORM = CiscoIosPlatform(
    name="cisco_xe",
    netmiko_device_type="cisco_xe",
    default_wan_interface="GigabitEthernet1",
    template_dir=TEMPLATE_DIR,
)
