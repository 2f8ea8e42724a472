"""Vendor words for IKE and ESP algorithms, and the names AWS uses for the same things."""

from __future__ import annotations

import re
from collections.abc import Iterable

GCM = frozenset({"AES128-GCM-16", "AES256-GCM-16"})

SHA = {"sha1": "SHA1", "sha256": "SHA2-256", "sha384": "SHA2-384", "sha512": "SHA2-512"}
AES_KEY_SIZES = {"128": "AES128", "256": "AES256"}

# Cisco IOS-XE
IOS_IKEV2_ENCRYPTION = {
    "aes-cbc-128": "AES128",
    "aes-cbc-256": "AES256",
    "aes-gcm-128": "AES128-GCM-16",
    "aes-gcm-256": "AES256-GCM-16",
}
IOS_ISAKMP_HASH = {"sha": "SHA1", **SHA}
IOS_ESP_ENCRYPTION = {"esp-aes": "AES128", "esp-gcm": "AES128-GCM-16"}
IOS_ESP_GCM_KEY_SIZES = {"": "AES128-GCM-16", "128": "AES128-GCM-16", "256": "AES256-GCM-16"}
IOS_ESP_INTEGRITY = {
    "esp-sha-hmac": "SHA1",
    "esp-sha256-hmac": "SHA2-256",
    "esp-sha384-hmac": "SHA2-384",
    "esp-sha512-hmac": "SHA2-512",
}

# Juniper Junos
JUNOS_ENCRYPTION = {
    "aes-128-cbc": "AES128",
    "aes-256-cbc": "AES256",
    "aes-128-gcm": "AES128-GCM-16",
    "aes-256-gcm": "AES256-GCM-16",
}
JUNOS_IKE_INTEGRITY = {
    "sha1": "SHA1",
    "sha-256": "SHA2-256",
    "sha-384": "SHA2-384",
    "sha-512": "SHA2-512",
}
JUNOS_ESP_INTEGRITY = {
    "hmac-sha1-96": "SHA1",
    "hmac-sha-256-128": "SHA2-256",
    "hmac-sha-384-192": "SHA2-384",
    "hmac-sha-512-256": "SHA2-512",
}

# strongSwan
SWAN_CIPHERS = {
    "aes128": "AES128",
    "aes256": "AES256",
    "aes128gcm16": "AES128-GCM-16",
    "aes128gcm128": "AES128-GCM-16",
    "aes256gcm16": "AES256-GCM-16",
    "aes256gcm128": "AES256-GCM-16",
}
SWAN_INTEGRITY = {**SHA, "sha2_256": "SHA2-256", "sha2_384": "SHA2-384", "sha2_512": "SHA2-512"}
SWAN_DH_GROUPS = {
    "modp768": 1,
    "modp1024": 2,
    "modp1536": 5,
    "modp2048": 14,
    "modp3072": 15,
    "modp4096": 16,
    "modp6144": 17,
    "modp8192": 18,
    "ecp256": 19,
    "ecp384": 20,
    "ecp521": 21,
    "modp1024s160": 22,
    "modp2048s224": 23,
    "modp2048s256": 24,
}
# What `default` means in strongSwan 5.9's proposals.
SWAN_DEFAULT_IKE = "aes128-aes256-sha256-sha384-sha512-ecp256-ecp384-ecp521-modp3072-modp4096"
SWAN_DEFAULT_IKE_AEAD = "aes128gcm16-aes256gcm16-prfsha256-prfsha384-prfsha512-ecp256-ecp384"
SWAN_DEFAULT_ESP = "aes128gcm16-aes256gcm16,aes128-aes256-sha256-sha384-sha512"


def unmapped(word: str) -> str:
    """A vendor word the oracle cannot map, marked so that it never matches an AWS name."""
    return f"?{word}"


def group_number(word: str) -> int | None:
    """The DH group of a `groupN` word (None for anything else)."""
    match = re.fullmatch(r"group(\d+)", word)
    return int(match.group(1)) if match else None


def describe_algorithms(
    encryption: Iterable[str], integrity: Iterable[str], groups: Iterable[int] | None
) -> str:
    """Ciphers, integrity and (unless None) DH groups, as a reason shows them."""
    parts = ["/".join(sorted(encryption)) or "no cipher", "/".join(sorted(integrity))]
    if groups is not None:
        parts.append(describe_groups(groups))
    return " ".join(p for p in parts if p)


def describe_groups(groups: Iterable[int]) -> str:
    """DH groups as a reason shows them."""
    return "group " + "/".join(str(g) for g in sorted(groups)) if groups else "no DH group"


def describe_versions(versions: Iterable[int]) -> str:
    """IKE versions as a reason shows them."""
    return "/".join(f"IKEv{v}" for v in sorted(versions)) or "no IKE version"
