"""The rendered swanctl.conf loads into a real charon without a warning (issue "cgw core").

charon runs in a namespace this test creates, with private /run, /etc/strongswan.conf and
/etc/swanctl (see tests/lab_charon.py). The kernel here has no XFRM interfaces or VTI, but loading
a connection with if_id or marks needs neither, so every dataplane's config is loaded for real.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from lab_charon import LabCharon, lab_charon, skip_reason
from test_render_strongswan import bgp_vpn, device, static_ikev1_vpn

from cgw.model import RenderedConfig
from cgw.platforms.strongswan import PLATFORM

pytestmark = [
    pytest.mark.charon,
    pytest.mark.skipif(skip_reason() is not None, reason=skip_reason() or ""),
]

# How charon itself spells the proposals cgw renders: proof the keywords mean what AWS means.
EXPECTED = {
    "bgp_gcm": {
        "aws-vpn-0b1a2c3d4e5f60718-t1": (
            "198.51.100.10",
            "IKEv2",
            "IKE:AES_GCM_16_256/PRF_HMAC_SHA2_256/ECP_384",
            "ESP:AES_GCM_16_256/ECP_384/NO_EXT_SEQ",
        ),
        "aws-vpn-0b1a2c3d4e5f60718-t2": (
            "198.51.100.20",
            "IKEv2",
            "IKE:AES_CBC_256/HMAC_SHA2_256_128/PRF_HMAC_SHA2_256/MODP_2048",
            "ESP:AES_CBC_256/HMAC_SHA2_256_128/MODP_2048/NO_EXT_SEQ",
        ),
    },
    "static_ikev1": {
        f"aws-vpn-04a1b2c3d4e5f6071-t{n}": (
            f"198.51.100.{10 * n}",
            "IKEv1",
            "IKE:AES_CBC_128/HMAC_SHA1_96/PRF_HMAC_SHA1/MODP_1024",
            "ESP:AES_CBC_128/HMAC_SHA1_96/MODP_1024/NO_EXT_SEQ",
        )
        for n in (1, 2)
    },
}
SHAPES = {"bgp_gcm": bgp_vpn, "static_ikev1": static_ikev1_vpn}
# Everything `swanctl --load-all` may print when all is well.
CLEAN_LOAD_LINE = re.compile(
    r"loaded ike secret '[\w.-]+'|no authorities found, 0 unloaded|no pools found, 0 unloaded"
    r"|loaded connection '[\w.-]+'|successfully loaded 2 connections, 0 unloaded"
)
CONFIG_COMPLAINT = re.compile(r"warn|fail|invalid|unknown|ignor|discard|error", re.IGNORECASE)


def rendered(shape: str, dataplane: str) -> RenderedConfig:
    return PLATFORM.render(device(strongswan_dataplane=dataplane), SHAPES[shape]())


def only_file(config: RenderedConfig, folder: str) -> tuple[str, str]:
    (match,) = [f for f in config.files if f.path.startswith(folder)]
    return Path(match.path).name, match.content


@pytest.fixture(params=["xfrm", "vti", "libipsec"])
def dataplane(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture(params=sorted(SHAPES))
def shape(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
def loaded(tmp_path: Path, shape: str, dataplane: str) -> Iterator[LabCharon]:
    """A charon that read the rendered strongswan.d fragment and loaded the swanctl.conf."""
    config = rendered(shape, dataplane)
    settings = dict([only_file(config, "/etc/strongswan.d/")])
    with lab_charon(tmp_path, settings) as charon:
        # The gateway's address and a default route, both on the namespace's own loopback:
        # charon installs routes and policies as on a real gateway, yet nothing leaves.
        local = SHAPES[shape]().tunnels[0].cgw_outside_ip
        charon.ip("address", "add", f"{local}/32", "dev", "lo")
        charon.ip("route", "add", "default", "dev", "lo")
        charon.install_conf(dict([only_file(config, "/etc/swanctl/conf.d/")]))
        result = charon.swanctl("--load-all")
        assert result.returncode == 0, result.stdout + result.stderr
        assert result.stderr == ""
        unexpected = [
            line for line in result.stdout.splitlines() if not CLEAN_LOAD_LINE.fullmatch(line)
        ]
        assert unexpected == [], result.stdout
        yield charon


def config_log(charon: LabCharon) -> list[str]:
    """charon's [CFG] log lines: how it parsed the settings and each connection."""
    return [line for line in charon.log().splitlines() if "[CFG]" in line]


def test_load_all_is_clean(loaded: LabCharon) -> None:
    complaints = [line for line in config_log(loaded) if CONFIG_COMPLAINT.search(line)]
    assert complaints == []


def expected_remote_ts(shape: str, dataplane: str) -> dict[str, str]:
    """How charon lists each child's remote selectors: AWS's 0.0.0.0/0, except with libipsec.

    libipsec's one ipsec0 needs each tunnel's selectors to leave out the other's inside /30.
    """
    vpn = SHAPES[shape]()
    names = [f"aws-{vpn.id}-t{t.number}" for t in vpn.tunnels]
    if dataplane != "libipsec":
        return dict.fromkeys(names, "0.0.0.0/0")
    listed = {}
    for name, other in zip(names, reversed(vpn.tunnels), strict=True):
        first, last = other.inside_cidr.network_address, other.inside_cidr.broadcast_address
        listed[name] = f"0.0.0.0..{first - 1} {last + 1}..255.255.255.255"
    return listed


def test_list_conns_shows_both_tunnels_and_peers(
    loaded: LabCharon, shape: str, dataplane: str
) -> None:
    listing = loaded.swanctl("--list-conns")
    assert listing.returncode == 0, listing.stderr
    remote_ts = expected_remote_ts(shape, dataplane)
    for name, (peer, version, _, _) in EXPECTED[shape].items():
        block = re.search(
            rf"^{re.escape(name)}: (IKEv\d).*?\n(?=\S|\Z)", listing.stdout, re.M | re.S
        )
        assert block is not None, listing.stdout
        assert block.group(1) == version
        assert re.search(rf"^  remote: +{re.escape(peer)}$", block.group(0), re.M)
        assert re.search(r"^    local: +0\.0\.0\.0/0$", block.group(0), re.M)
        assert re.search(rf"^    remote: +{re.escape(remote_ts[name])}$", block.group(0), re.M), (
            block.group(0)
        )


@pytest.mark.parametrize("dataplane", ["libipsec"])
def test_libipsec_children_name_the_interface_script_as_updown(loaded: LabCharon) -> None:
    """charon runs cgw's interface script when a CHILD_SA comes up (after a restart too)."""
    log = "\n".join(config_log(loaded))
    updowns = re.findall(r"\[CFG\]    updown = (\S+)$", log, re.M)
    assert len(updowns) == 2 and len(set(updowns)) == 1, log
    assert re.fullmatch(r"/etc/cgw/aws-vpn-\w+-interfaces\.sh", updowns[0])


def test_charon_parsed_aws_proposals(loaded: LabCharon, shape: str) -> None:
    log = "\n".join(config_log(loaded))
    for name, (_, _, ike, esp) in EXPECTED[shape].items():
        conn = re.search(rf"conn {re.escape(name)}:\n(.*?)added vici connection: {name}", log, re.S)
        assert conn is not None, log
        assert f"proposals = {ike}\n" in conn.group(1)
        assert f"proposals = {esp}\n" in conn.group(1)


def test_dataplane_binding_reached_charon(loaded: LabCharon, dataplane: str) -> None:
    log = "\n".join(config_log(loaded))
    if_ids = re.findall(r"^.*\[CFG\]    if_id_in = (\d+)$", log, re.M)
    marks = re.findall(r"^.*\[CFG\]    mark_in = (\S+)$", log, re.M)
    expected = {
        "xfrm": (["1", "2"], ["0/0", "0/0"]),
        "vti": (["0", "0"], ["1/4294967295", "2/4294967295"]),
        "libipsec": (["0", "0"], ["0/0", "0/0"]),
    }
    assert (if_ids, marks) == expected[dataplane]


@pytest.mark.parametrize("dataplane", ["libipsec"])
def test_rendered_settings_keep_libipsec_routes_behind_main(loaded: LabCharon) -> None:
    """libipsec routes 0.0.0.0/0 into ipsec0: the rendered settings must rank it after main."""
    rules = {
        line.split(":")[1].strip(): int(line.split(":")[0])
        for line in loaded.ip("rule", "show").splitlines()
    }
    assert rules["from all lookup 220"] > rules["from all lookup main"], rules
    routes = loaded.ip("route", "show", "table", "220")
    assert "default dev ipsec0" in routes  # what the rule order has to contain
