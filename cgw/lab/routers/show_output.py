"""Show-command output in the real devices' column layouts, generated from plain views of state.

Layouts follow real captures (IOS-XE, Junos SRX, strongSwan swanctl, FRR); values are the
simulator's own. Counters and SPIs are derived from the peer address so output is stable.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass


@dataclass(frozen=True)
class Algorithms:
    """Negotiated algorithms in vendor-neutral words (aes-cbc-256, sha256, DH group number)."""

    encryption: str = "aes-cbc-256"
    integrity: str = "sha256"  # "" for GCM
    dh_group: int = 14


@dataclass(frozen=True)
class SaView:
    """One configured IPsec peer as the show commands need it."""

    name: str  # Tunnel1 / st0.1 / connection name
    local: str
    remote: str
    ike_version: int
    ike_up: bool
    ipsec_up: bool
    index: int
    algorithms: Algorithms = Algorithms()
    ike_lifetime: int = 28800
    ipsec_lifetime: int = 3600
    uptime: int = 60
    nat_t: bool = False

    @property
    def encryption(self) -> str:
        return self.algorithms.encryption

    @property
    def integrity(self) -> str:
        return self.algorithms.integrity

    @property
    def dh_group(self) -> int:
        return self.algorithms.dh_group


@dataclass(frozen=True)
class BgpPeerView:
    """One configured BGP neighbour."""

    address: str
    remote_asn: int
    established: bool
    prefixes_received: int
    uptime: int = 60


@dataclass(frozen=True)
class BgpView:
    """A router's BGP process."""

    local_asn: int
    router_id: str
    peers: tuple[BgpPeerView, ...]


def token(seed: str, length: int) -> str:
    """Stable pseudo-random hex for cookies and SPIs."""
    return hashlib.sha256(seed.encode()).hexdigest()[:length]


def _counter(seed: str, low: int, high: int) -> int:
    return low + int(token(seed, 6), 16) % (high - low)


def hms(seconds: int) -> str:
    """IOS/FRR up-time: hh:mm:ss below a day, then 1d02h."""
    if seconds >= 86400:
        return f"{seconds // 86400}d{(seconds % 86400) // 3600:02d}h"
    return f"{seconds // 3600:02d}:{(seconds % 3600) // 60:02d}:{seconds % 60:02d}"


def _key_size(encryption: str) -> str:
    return encryption.rsplit("-", 1)[-1]


# ---------------------------------------------------------------- Cisco IOS-XE


def ios_ikev2_sa(sas: Sequence[SaView], pqc_line: bool = False) -> str:
    """`show crypto ikev2 sa`; `pqc_line`: recent IOS XE's post-quantum line (see ios_profiles)."""
    out = [" IPv4 Crypto IKEv2  SA ", ""]
    for sa in (s for s in sas if s.ike_version == 2 and s.ike_up):
        port = 4500 if sa.nat_t else 500
        gcm = "gcm" in sa.encryption
        encr = "AES-GCM" if gcm else "AES-CBC"
        prf = (sa.integrity or "sha256").upper()
        hash_ = "None" if gcm else prf
        out += [
            "Tunnel-id Local                 Remote                fvrf/ivrf            Status ",
            f"{sa.index:<10}{sa.local + '/' + str(port):<22}{sa.remote + '/' + str(port):<22}"
            f"{'none/none':<21}READY  ",
            f"      Encr: {encr}, keysize: {_key_size(sa.encryption)}, PRF: {prf}, Hash: {hash_},"
            f" DH Grp:{sa.dh_group}, Auth sign: PSK, Auth verify: PSK",
            f"      Life/Active Time: {sa.ike_lifetime}/{sa.uptime} sec",
            *(["      PQC Key Exchange: None"] if pqc_line else []),
            "",
        ]
    out += [" IPv6 Crypto IKEv2  SA ", ""]
    return "\n".join(out)


def ios_isakmp_sa(sas: Sequence[SaView]) -> str:
    """`show crypto isakmp sa`."""
    out = ["IPv4 Crypto ISAKMP SA", "dst             src             state          conn-id status"]
    for sa in (s for s in sas if s.ike_version == 1 and s.ike_up):
        out.append(f"{sa.remote:<16}{sa.local:<16}{'QM_IDLE':<15}{1000 + sa.index:>7} ACTIVE")
    out += ["", "IPv6 Crypto ISAKMP SA", ""]
    return "\n".join(out)


def _ios_transform(sa: SaView) -> str:
    size = _key_size(sa.encryption)
    if "gcm" in sa.encryption:
        return f"esp-gcm {size} ,"
    integrity = {"sha1": "esp-sha-hmac", "": ""}.get(sa.integrity, f"esp-{sa.integrity}-hmac")
    return f"esp-{size}-aes {integrity} ,"


def _ios_sa_block(sa: SaView, direction: str) -> list[str]:
    spi = token(f"{sa.remote}-{direction}", 8).upper()
    return [
        f"      spi: 0x{spi}({int(spi, 16)})",
        f"        transform: {_ios_transform(sa)}",
        "        in use settings ={Tunnel, }",
        f"        conn id: {2000 + sa.index}, flow_id: CSR:{sa.index},"
        " sibling_flags FFFFFFFF80000048,"
        f" crypto map: {sa.name}-head-0",
        "        sa timing: remaining key lifetime (k/sec):"
        f" (4607999/{sa.ipsec_lifetime - sa.uptime})",
        "        IV size: 16 bytes" if "gcm" not in sa.encryption else "        IV size: 8 bytes",
        "        replay detection support: Y",
        "        Status: ACTIVE(ACTIVE)",
        "",
    ]


def ios_ipsec_sa(sas: Sequence[SaView]) -> str:
    """`show crypto ipsec sa`."""
    out = [""]
    for sa in sas:
        packets = _counter(sa.remote, 100, 5000) if sa.ipsec_up else 0
        port = 4500 if sa.nat_t else 500
        out += [
            f"interface: {sa.name}",
            f"    Crypto map tag: {sa.name}-head-0, local addr {sa.local}",
            "",
            "   protected vrf: (none)",
            "   local  ident (addr/mask/prot/port): (0.0.0.0/0.0.0.0/0/0)",
            "   remote ident (addr/mask/prot/port): (0.0.0.0/0.0.0.0/0/0)",
            f"   current_peer {sa.remote} port {port}",
            "     PERMIT, flags={origin_is_acl,}",
            f"    #pkts encaps: {packets}, #pkts encrypt: {packets}, #pkts digest: {packets}",
            f"    #pkts decaps: {packets}, #pkts decrypt: {packets}, #pkts verify: {packets}",
            "    #pkts compressed: 0, #pkts decompressed: 0",
            "    #pkts not compressed: 0, #pkts compr. failed: 0",
            "    #pkts not decompressed: 0, #pkts decompress failed: 0",
            "    #send errors 0, #recv errors 0",
            "",
            f"     local crypto endpt.: {sa.local}, remote crypto endpt.: {sa.remote}",
            "     plaintext mtu 1438, path mtu 1500, ip mtu 1500, ip mtu idb GigabitEthernet1",
        ]
        outbound = token(f"{sa.remote}-out", 8).upper() if sa.ipsec_up else "0"
        spi_dec = int(outbound, 16)
        out += [f"     current outbound spi: 0x{outbound}({spi_dec})"]
        out += [f"     PFS (Y/N): Y, DH group: group{sa.dh_group}", "", "     inbound esp sas:"]
        out += _ios_sa_block(sa, "in") if sa.ipsec_up else []
        out += [
            "",
            "     inbound ah sas:",
            "",
            "     inbound pcp sas:",
            "",
            "     outbound esp sas:",
        ]
        out += _ios_sa_block(sa, "out") if sa.ipsec_up else []
        out += ["", "     outbound ah sas:", "", "     outbound pcp sas:", ""]
    return "\n".join(out)


def ios_bgp_summary(bgp: BgpView | None) -> str:
    """`show ip bgp summary`."""
    if bgp is None:
        return "% BGP not active\n"
    prefixes = sum(p.prefixes_received for p in bgp.peers if p.established)
    out = [
        f"BGP router identifier {bgp.router_id}, local AS number {bgp.local_asn}",
        f"BGP table version is {prefixes + 1}, main routing table version {prefixes + 1}",
        f"{prefixes} network entries using {prefixes * 248} bytes of memory",
        f"{prefixes} path entries using {prefixes * 136} bytes of memory",
        "",
        "Neighbor        V           AS MsgRcvd MsgSent   TblVer  InQ OutQ Up/Down  State/PfxRcd",
    ]
    for peer in bgp.peers:
        msgs = _counter(peer.address, 20, 900) if peer.established else 0
        state = str(peer.prefixes_received) if peer.established else "Active"
        updown = hms(peer.uptime) if peer.established else "never"
        out.append(
            f"{peer.address:<16}4 {peer.remote_asn:>12} {msgs:>7} {msgs:>7} {prefixes + 1:>8}"
            f" {0:>4} {0:>4} {updown:<8} {state:>12}"
        )
    return "\n".join(out) + "\n"


@dataclass(frozen=True)
class InterfaceRow:
    """One line of an interface summary."""

    name: str
    address: str  # "unassigned" or dotted quad (IOS), "a.b.c.d/nn" (Junos/Linux)
    admin_up: bool
    line_up: bool


def ios_ip_interface_brief(rows: Sequence[InterfaceRow]) -> str:
    """`show ip interface brief`."""
    out = ["Interface              IP-Address      OK? Method Status                Protocol"]
    for row in rows:
        method = "unset" if row.address == "unassigned" else "manual"
        status = "up" if row.admin_up else "administratively down"
        proto = "up" if row.line_up and row.admin_up else "down"
        out.append(f"{row.name:<23}{row.address:<16}YES {method:<7}{status:<22}{proto:<8}")
    return "\n".join(out) + "\n"


# ---------------------------------------------------------------- Junos SRX


def junos_ike_sa(sas: Sequence[SaView], layout: str = "state-first") -> str:
    """`show security ike security-associations`; `remote-first` is the older column order."""
    up = [s for s in sas if s.ike_up]
    if not up:
        return ""
    if layout == "remote-first":
        out = ["Index   Remote Address  State  Initiator cookie  Responder cookie  Mode"]
        for sa in up:
            mode = "IKEv2" if sa.ike_version == 2 else "Main"
            out.append(
                f"{sa.index + 2:<8}{sa.remote:<16}{'UP':<7}{token(sa.remote + 'i', 16):<18}"
                f"{token(sa.remote + 'r', 16):<18}{mode}"
            )
        return "\n".join(out) + "\n"
    out = ["Index   State  Initiator cookie  Responder cookie  Mode           Remote Address   "]
    for sa in up:
        mode = "IKEv2" if sa.ike_version == 2 else "Main"
        out.append(
            f"{4455310 + sa.index:<8}{'UP':<7}{token(sa.remote + 'i', 16):<18}"
            f"{token(sa.remote + 'r', 16):<18}{mode:<15}{sa.remote}"
        )
    return "\n".join(out) + "\n"


def _junos_esp(sa: SaView, short: bool = False) -> str:
    encryption = sa.encryption
    if short:  # older releases: `aes-128`, not `aes-cbc-128`
        encryption = encryption.replace("-cbc", "")
    if "gcm" in sa.encryption:
        return f"ESP:{encryption}/None"
    integrity = {"sha1": "sha1", "sha256": "sha256", "sha384": "sha384"}.get(sa.integrity, "sha256")
    return f"ESP:{encryption}/{integrity}"


def junos_ipsec_sa(sas: Sequence[SaView], layout: str = "algorithm-first-lsys") -> str:
    """`show security ipsec security-associations` in one of the releases' column layouts.

    `gateway-first-vsys`: `ID Gateway Port Algorithm SPI Life:sec/kb Mon vsys` (older SRX);
    `algorithm-first-vsys`/`-lsys`: `ID Algorithm SPI Life:sec/kb Mon vsys|lsys Port Gateway`.
    """
    up = [s for s in sas if s.ipsec_up]
    if layout == "gateway-first-vsys":
        out = [
            f"Total active tunnels: {len(up)}",
            "ID      Gateway        Port  Algorithm        SPI      Life:sec/kb Mon vsys",
        ]
    else:
        system = "vsys" if layout == "algorithm-first-vsys" else "lsys"
        out = [
            f"  Total active tunnels: {len(up)}     Total Ipsec sas: {len(up)}",
            f"  ID    Algorithm       SPI      Life:sec/kb  Mon {system} Port  Gateway   ",
        ]
    for sa in up:
        port = 4500 if sa.nat_t else 500
        life = sa.ipsec_lifetime - sa.uptime
        for arrow, direction in (("<", "in"), (">", "out")):
            spi = token(sa.remote + direction, 8)
            if layout == "gateway-first-vsys":
                out.append(
                    f"{arrow}{131072 + sa.index} {sa.remote:<14} {port:<5} "
                    f"{_junos_esp(sa, short=True):<16} {spi} {life}/ unlim   -   0"
                )
            else:
                out.append(
                    f"  {arrow}{131072 + sa.index} {_junos_esp(sa)} {spi}"
                    f" {life}/ unlim - root {port} {sa.remote}"
                )
    return "\n".join(out) + "\n"


def junos_bgp_summary(bgp: BgpView | None) -> str:
    """`show bgp summary`."""
    if bgp is None:
        return "\nBGP is not running\n"
    down = sum(1 for p in bgp.peers if not p.established)
    active = sum(p.prefixes_received for p in bgp.peers if p.established)
    out = [
        "Threading mode: BGP I/O",
        "Default eBGP mode: advertise - accept, receive - accept",
        f"Groups: 1 Peers: {len(bgp.peers)} Down peers: {down}",
        "Table          Tot Paths  Act Paths Suppressed    History Damp State    Pending",
        "inet.0               ",
        f"{active:>24}{active:>11}{0:>11}{0:>11}{0:>11}{0:>11}",
        "Peer                     AS      InPkt     OutPkt    OutQ   Flaps Last Up/Dwn "
        "State|#Active/Received/Accepted/Damped...",
    ]
    for peer in bgp.peers:
        pkts = _counter(peer.address, 20, 900) if peer.established else 0
        up = peer.uptime
        last = (
            f"{up // 3600}:{(up % 3600) // 60:02d}:{up % 60:02d}"
            if up >= 3600
            else (f"{up // 60}:{up % 60:02d}")
        )
        state = "Establ" if peer.established else "Active"
        out.append(
            f"{peer.address:<19}{peer.remote_asn:>8} {pkts:>10} {pkts:>10} {0:>7} {0:>7}"
            f" {last:>11} {state}"
        )
        if peer.established:
            n = peer.prefixes_received
            out.append(f"  inet.0: {n}/{n}/{n}/0")
    return "\n".join(out) + "\n"


def junos_interfaces_terse(rows: Sequence[InterfaceRow]) -> str:
    """`show interfaces st0 terse`."""
    out = ["Interface               Admin Link Proto    Local                 Remote"]
    for row in rows:
        admin = "up" if row.admin_up else "down"
        link = "up" if row.line_up else "down"
        if "." in row.name:
            proto = "inet" if row.address else ""
            out.append(f"{row.name:<24}{admin:<6}{link:<5}{proto:<9}{row.address}".rstrip())
        else:
            out.append(f"{row.name:<24}{admin:<6}{link}")
    return "\n".join(out) + "\n"


# ---------------------------------------------------------------- strongSwan / FRR


def _swan_proposal(sa: SaView, with_prf: bool) -> str:
    size = _key_size(sa.encryption)
    group = {
        2: "MODP_1024",
        5: "MODP_1536",
        14: "MODP_2048",
        15: "MODP_3072",
        16: "MODP_4096",
        19: "ECP_256",
        20: "ECP_384",
        21: "ECP_521",
    }.get(sa.dh_group, f"MODP_{sa.dh_group}")
    bits = {
        "sha1": ("HMAC_SHA1_96", "PRF_HMAC_SHA1"),
        "sha256": ("HMAC_SHA2_256_128", "PRF_HMAC_SHA2_256"),
        "sha384": ("HMAC_SHA2_384_192", "PRF_HMAC_SHA2_384"),
        "sha512": ("HMAC_SHA2_512_256", "PRF_HMAC_SHA2_512"),
    }
    integ, prf = bits.get(sa.integrity or "sha256", bits["sha256"])
    if "gcm" in sa.encryption:
        parts = [f"AES_GCM_16-{size}"] + ([prf] if with_prf else [])
    else:
        parts = [f"AES_CBC-{size}", integ] + ([prf] if with_prf else [])
    return "/".join([*parts, group])


def swanctl_list_sas(sas: Sequence[SaView]) -> str:
    """`swanctl --list-sas`."""
    out: list[str] = []
    for sa in (s for s in sas if s.ike_up):
        port = 4500 if sa.nat_t else 500
        out += [
            f"{sa.name}: #{sa.index}, ESTABLISHED, IKEv{sa.ike_version},"
            f" {token(sa.remote + 'i', 16)}_i* {token(sa.remote + 'r', 16)}_r",
            f"  local  '{sa.local}' @ {sa.local}[{port}]",
            f"  remote '{sa.remote}' @ {sa.remote}[{port}]",
            f"  {_swan_proposal(sa, with_prf=True)}",
            f"  established {sa.uptime}s ago, rekeying in {sa.ike_lifetime - sa.uptime}s",
        ]
        if sa.ipsec_up:
            encap = "TUNNEL-in-UDP" if sa.nat_t else "TUNNEL"
            out += [
                f"  {sa.name}: #{sa.index}, reqid {sa.index}, INSTALLED, {encap},"
                f" ESP:{_swan_proposal(sa, with_prf=False)}",
                f"    installed {sa.uptime}s ago, rekeying in {sa.ipsec_lifetime - sa.uptime}s,"
                f" expires in {sa.ipsec_lifetime}s",
                f"    in  {token(sa.remote + 'in', 8)},      0 bytes,     0 packets",
                f"    out {token(sa.remote + 'out', 8)},      0 bytes,     0 packets",
                "    local  0.0.0.0/0",
                "    remote 0.0.0.0/0",
            ]
    return "\n".join(out) + ("\n" if out else "")


def frr_bgp_summary(bgp: BgpView | None) -> str:
    """`vtysh -c "show bgp summary"` (FRR 8.x)."""
    if bgp is None:
        return "% No BGP instances found\n"
    out = [
        "",
        "IPv4 Unicast Summary (VRF default):",
        f"BGP router identifier {bgp.router_id}, local AS number {bgp.local_asn} vrf-id 0",
        "BGP table version 4",
        f"RIB entries {2 * len(bgp.peers) + 1}, using 576 bytes of memory",
        f"Peers {len(bgp.peers)}, using 1446 KiB of memory",
        "",
        "Neighbor        V         AS   MsgRcvd   MsgSent   TblVer  InQ OutQ  Up/Down"
        " State/PfxRcd   PfxSnt Desc",
    ]
    for peer in bgp.peers:
        msgs = _counter(peer.address, 20, 900) if peer.established else 0
        updown = hms(peer.uptime) if peer.established else "never"
        state = str(peer.prefixes_received) if peer.established else "Active"
        sent = 1 if peer.established else 0
        out.append(
            f"{peer.address:<16}4 {peer.remote_asn:>10} {msgs:>9} {msgs:>9} {0:>8} {0:>4} {0:>4}"
            f" {updown:>8} {state:>12} {sent:>8} N/A"
        )
    out += ["", f"Total number of neighbors {len(bgp.peers)}"]
    return "\n".join(out) + "\n"
