"""Inventory loading: inheritance, validation and errors that name file, device and key."""

from __future__ import annotations

from ipaddress import IPv4Address, IPv4Network
from pathlib import Path

import pytest

from cgw.errors import InventoryError
from cgw.inventory import load_inventory

EXAMPLE = Path(__file__).resolve().parent.parent / "inventory"

HOSTS_OK = """
r1:
  host: 10.0.0.1
  groups: [edge, cisco]
  vpn: {customer_gateway_ip: 203.0.113.11}
  local: {advertised_prefixes: [10.1.0.0/16]}
r2:
  host: r2.example.net
  port: 2222
  platform: juniper_junos
  vpn: {vpn_id: vpn-0abc1234}
  local: {wan_interface: ge-0/0/0.0}
"""
GROUPS_OK = """
cisco:
  platform: cisco_ios
  local: {wan_interface: GigabitEthernet1, tunnel_numbers: [1, 2]}
edge:
  platform: cisco_xe
  local: {tunnel_numbers: [11, 12]}
"""
DEFAULTS_OK = """
credentials: {username_env: USER_VAR, password_env: PASS_VAR}
timeout: 45
"""


def write_inventory(tmp_path: Path, hosts: str, groups: str = "", defaults: str = "") -> Path:
    (tmp_path / "hosts.yaml").write_text(hosts)
    if groups:
        (tmp_path / "groups.yaml").write_text(groups)
    if defaults:
        (tmp_path / "defaults.yaml").write_text(defaults)
    return tmp_path


def test_host_inherits_from_groups_in_order_then_defaults(tmp_path: Path) -> None:
    inventory = load_inventory(write_inventory(tmp_path, HOSTS_OK, GROUPS_OK, DEFAULTS_OK))
    r1 = inventory.devices["r1"]
    assert r1.platform == "cisco_xe"  # first group listed wins
    assert r1.local.tunnel_numbers == (11, 12)
    assert r1.local.wan_interface == "GigabitEthernet1"  # from the second group
    assert r1.credentials.password_env == "PASS_VAR"
    assert r1.timeout_s == 45
    assert r1.vpn.customer_gateway_ip == IPv4Address("203.0.113.11")
    assert r1.local.advertised_prefixes == (IPv4Network("10.1.0.0/16"),)
    r2 = inventory.devices["r2"]
    assert (r2.port, r2.vpn.vpn_id, r2.groups) == (2222, "vpn-0abc1234", ())
    assert inventory.groups == {"cisco": ("r1",), "edge": ("r1",)}


def test_select_by_name_group_and_all(tmp_path: Path) -> None:
    inventory = load_inventory(write_inventory(tmp_path, HOSTS_OK, GROUPS_OK, DEFAULTS_OK))
    assert [d.name for d in inventory.select(["r2"])] == ["r2"]
    assert [d.name for d in inventory.select(group="edge")] == ["r1"]
    assert [d.name for d in inventory.select(everything=True)] == ["r1", "r2"]
    with pytest.raises(InventoryError, match="no device 'r9'"):
        inventory.select(["r9"])
    with pytest.raises(InventoryError, match="no group 'core'"):
        inventory.select(group="core")
    with pytest.raises(InventoryError, match="at least one device"):
        inventory.select()


@pytest.mark.parametrize(
    ("hosts", "expected"),
    [
        (
            "r1:\n  host: 1.1.1.1\n  platform: cisco_xe\n  vpn: {vpn_id: vpn-0abc1234}\n",
            r"hosts.yaml: device r1: local: required key is missing",
        ),
        (
            "r1:\n  host: 1.1.1.1\n  platform: cisco_xe\n  vpn: {vpn_id: vpn-0abc1234}\n"
            "  local: {wan_interface: Gi1, wan_intreface: Gi2}\n",
            r"device r1: local.wan_intreface: unknown key",
        ),
        (
            "r1:\n  host: 1.1.1.1\n  platform: cisco_xe\n  vpn: {vpn_id: vpn-0abc1234}\n"
            "  local: {wan_interface: 'Gi1\\n!shutdown'}\n",
            r"device r1: wan_interface must be an interface name",
        ),
        (
            "r1:\n  host: 1.1.1.1\n  platform: cisco_xe\n  vpn: {vpn_id: vpn-0abc1234}\n"
            "  local: {wan_interface: Gi1}\n  password: hunter22\n",
            r"device r1: password: plaintext secrets are not allowed",
        ),
        (
            "r1:\n  host: 1.1.1.1\n  platform: cisco_xe\n  vpn: {vpn_id: vpn-0abc1234}\n"
            "  local: {wan_interface: Gi1}\n  credentials: {password: hunter22}\n",
            r"device r1: credentials.password: plaintext secrets are not allowed",
        ),
        (
            "r1:\n  host: 1.1.1.1\n  platform: nokia_sros\n  vpn: {vpn_id: vpn-0abc1234}\n"
            "  local: {wan_interface: Gi1}\n",
            r"device r1: platform: unknown platform 'nokia_sros'",
        ),
        (
            "r1:\n  host: 1.1.1.1\n  platform: cisco_xe\n  vpn: {vpn_id: vpn-0abc1234}\n"
            "  local: {wan_interface: Gi1, local_asn: 4294967296}\n",
            r"device r1: local_asn must be in 1..4294967295",
        ),
        (
            "r1:\n  host: 1.1.1.1\n  platform: cisco_xe\n  vpn: {vpn_id: 'vpn-0abc; reload'}\n"
            "  local: {wan_interface: Gi1}\n",
            r"device r1: vpn_id is not an AWS id",
        ),
        (
            "r1:\n  host: 1.1.1.1\n  platform: cisco_xe\n  vpn: {vpn_id: vpn-0abc1234}\n"
            "  local: {wan_interface: Gi1, advertised_prefixes: [10.1.0.1/16]}\n",
            r"device r1: local.advertised_prefixes is not an IPv4 prefix",
        ),
        (
            "r1:\n  host: 1.1.1.1\n  platform: cisco_xe\n  groups: [nope]\n"
            "  vpn: {vpn_id: vpn-0abc1234}\n  local: {wan_interface: Gi1}\n",
            r"device r1: groups: no group 'nope'",
        ),
        (
            "r1:\n  host: 1.1.1.1\nr1:\n  host: 1.1.1.2\n",
            r"hosts.yaml: line 3: invalid YAML: duplicate key 'r1'",
        ),
        ("r1: [1, 2]\n", r"hosts.yaml: r1: expected a mapping"),
        (
            "r1:\n  host: 'a b'\n  platform: cisco_xe\n  vpn: {vpn_id: vpn-0abc1234}\n"
            "  local: {wan_interface: Gi1}\n",
            r"device r1: host must be a host name or IP address",
        ),
        ("r1: {host: 1.1.1.1\n", r"hosts.yaml: line \d+: invalid YAML"),
    ],
)
def test_errors_name_file_device_and_key(tmp_path: Path, hosts: str, expected: str) -> None:
    with pytest.raises(InventoryError, match=expected) as caught:
        load_inventory(write_inventory(tmp_path, hosts))
    assert "\n" not in str(caught.value)


def test_plaintext_secret_in_groups_is_refused(tmp_path: Path) -> None:
    path = write_inventory(
        tmp_path, "r1: {host: 1.1.1.1}\n", "g: {credentials: {secret: enable123}}\n"
    )
    with pytest.raises(InventoryError, match=r"groups.yaml: group g: credentials.secret"):
        load_inventory(path)


def test_missing_hosts_file(tmp_path: Path) -> None:
    with pytest.raises(InventoryError, match="no such inventory file"):
        load_inventory(tmp_path)


def test_example_inventory_is_valid() -> None:
    inventory = load_inventory(EXAMPLE)
    platforms = {d.name: d.platform for d in inventory.devices.values()}
    assert platforms == {
        "branch-01": "cisco_xe",
        "branch-02": "juniper_junos",
        "branch-03": "strongswan",
        "branch-04": "cisco_ios",
    }
    assert inventory.devices["branch-04"].local.local_outside_ip == IPv4Address("192.168.14.2")


# ------------------------------------------------------------------ precedence and checks
@pytest.mark.parametrize(
    ("defaults", "group", "host", "expected"),
    [
        # a group's username beats a default username_env, and the other way round
        ("{username_env: U}", "{username: root}", "{}", (None, "root")),
        ("{username: admin}", "{username_env: U}", "{}", ("U", None)),
        # the host beats its group and the defaults
        ("{username_env: U}", "{username: root}", "{username_env: H}", ("H", None)),
        ("{username_env: U}", "{}", "{username: ops}", (None, "ops")),
        # nothing given on a level: inherited untouched
        ("{username_env: U}", "{}", "{}", ("U", None)),
    ],
)
def test_a_credential_given_on_a_level_replaces_the_inherited_one(
    tmp_path: Path, defaults: str, group: str, host: str, expected: tuple[str | None, ...]
) -> None:
    path = write_inventory(
        tmp_path,
        "r1:\n  host: 10.0.0.1\n  platform: cisco_xe\n  groups: [g]\n"
        f"  credentials: {host}\n"
        "  vpn: {vpn_id: vpn-0abc1234}\n  local: {wan_interface: Gi1}\n",
        f"g:\n  credentials: {group}\n",
        f"credentials: {defaults}\n",
    )
    credentials = load_inventory(path).devices["r1"].credentials
    assert (credentials.username_env, credentials.username) == expected


def test_the_example_strongswan_host_logs_in_as_its_groups_user() -> None:
    credentials = load_inventory(EXAMPLE).devices["branch-03"].credentials
    assert (credentials.username, credentials.username_env) == ("root", None)


HOST = "  platform: cisco_xe\n  local: {wan_interface: Gi1}\n"


@pytest.mark.parametrize(
    ("hosts", "expected"),
    [
        ("", r"hosts.yaml: no devices"),
        ("# nothing yet\n", r"hosts.yaml: no devices"),
        (
            "a: {host: 10.0.0.1, vpn: {vpn_id: vpn-0abc1234}, platform: cisco_xe,"
            " local: {wan_interface: Gi1, tunnel_numbers: [true, 2]}}\n",
            r"hosts.yaml: device a: local.tunnel_numbers.0: Input should be a valid integer",
        ),
        (
            "a: {host: 10.0.0.1, vpn: {vpn_id: vpn-0abc1234}, platform: cisco_xe, port: true,"
            " local: {wan_interface: Gi1}}\n",
            r"device a: port: Input should be a valid integer",
        ),
        (
            "a: {host: 10.0.0.1, vpn: {vpn_id: vpn-0abc1234}, platform: cisco_xe,"
            " local: {wan_interface: Gi1, local_asn: false}}\n",
            r"device a: local.local_asn: Input should be a valid integer",
        ),
        (
            "a: {host: 10.0.0.1, port: 22, vpn: {vpn_id: vpn-0abc1234}, platform: cisco_xe,"
            " local: {wan_interface: Gi1}}\n"
            "b: {host: 10.0.0.1, vpn: {vpn_id: vpn-0abc1235}, platform: cisco_xe,"
            " local: {wan_interface: Gi1}}\n",
            r"hosts.yaml: device b: host/port: 10.0.0.1:22 is already device a",
        ),
        (
            "a: {host: 10.0.0.1, vpn: {vpn_id: vpn-0abc1234}, platform: cisco_xe,"
            " local: {wan_interface: Gi1}}\n"
            "b: {host: 10.0.0.2, vpn: {vpn_id: vpn-0abc1234}, platform: cisco_xe,"
            " local: {wan_interface: Gi1}}\n",
            r"hosts.yaml: device b: vpn.vpn_id: vpn-0abc1234 is already claimed by device a",
        ),
        (
            "a: {host: 10.0.0.1, vpn: {customer_gateway_ip: 203.0.113.9}, platform: cisco_xe,"
            " local: {wan_interface: Gi1}}\n"
            "b: {host: 10.0.0.2, vpn: {customer_gateway_ip: 203.0.113.9}, platform: cisco_xe,"
            " local: {wan_interface: Gi1}}\n",
            r"device b: vpn.customer_gateway_ip: 203.0.113.9 is already claimed by device a",
        ),
    ],
)
def test_inventories_that_make_no_sense_are_refused(
    tmp_path: Path, hosts: str, expected: str
) -> None:
    with pytest.raises(InventoryError, match=expected) as caught:
        load_inventory(write_inventory(tmp_path, hosts))
    assert "\n" not in str(caught.value)
