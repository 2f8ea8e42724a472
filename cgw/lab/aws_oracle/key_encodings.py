"""Reversible encodings routers store pre-shared keys in: IOS type 7, Junos `$9$`, hex, base64.

Written here rather than taken from cgw.platforms, so that the oracle stays an independent judge.
"""

from __future__ import annotations

import base64
import binascii

_TYPE7_XLAT = "dsfd;kfoA,.iyewrkldJKDHSUBsgvca69834ncxv9873254k;fg87"

_JUNOS_FAMILY = ["QzF3n6/9CAtpu0O", "B1IREhcSyrleKvMW8LXx", "7N-dVbwsY2g4oaJZGUDj", "iHkq.mPf5T"]
_JUNOS_EXTRA = {c: 3 - i for i, family in enumerate(_JUNOS_FAMILY) for c in family}
_JUNOS_ALPHA = "".join(_JUNOS_FAMILY)
_JUNOS_NUM = {c: i for i, c in enumerate(_JUNOS_ALPHA)}
_JUNOS_ENCODING = [
    [1, 4, 32],
    [1, 16, 32],
    [1, 8, 32],
    [1, 64],
    [1, 32],
    [1, 4, 16, 128],
    [1, 32, 64],
]


def ios_type7_decode(cipher: str) -> str:
    """Reveal an IOS type-7 (reversible) password."""
    seed = int(cipher[:2])
    pairs = [cipher[i : i + 2] for i in range(2, len(cipher), 2)]
    return "".join(
        chr(int(pair, 16) ^ ord(_TYPE7_XLAT[(seed + i) % len(_TYPE7_XLAT)]))
        for i, pair in enumerate(pairs)
    )


def junos9_decode(secret: str) -> str:
    """Reveal a Junos `$9$` secret (reversible obfuscation, not encryption)."""
    chars = list(secret.removeprefix("$9$"))
    salt = chars.pop(0)
    del chars[: _JUNOS_EXTRA[salt]]
    previous, plain = salt, list[str]()
    while chars:
        decode = _JUNOS_ENCODING[len(plain) % len(_JUNOS_ENCODING)]
        nibble, chars = chars[: len(decode)], chars[len(decode) :]
        total = 0
        for char, weight in zip(nibble, decode, strict=True):
            gap = (_JUNOS_NUM[char] - _JUNOS_NUM[previous]) % len(_JUNOS_ALPHA) - 1
            total += gap * weight
            previous = char
        plain.append(chr(total % 256))
    return "".join(plain)


def junos9_encode(plain: str, salt: str = "Q", padding: str = "") -> str:
    """Obfuscate like Junos `$9$` (deterministic given salt and padding; for tests and demos)."""
    padding = (padding + "nnnn")[: _JUNOS_EXTRA[salt]]
    crypt, previous = "$9$" + salt + padding, salt
    for index, char in enumerate(plain):
        encode = _JUNOS_ENCODING[index % len(_JUNOS_ENCODING)]
        value, gaps = ord(char), list[int]()
        for weight in reversed(encode):
            gaps.insert(0, value // weight)
            value %= weight
        for gap in gaps:
            previous = _JUNOS_ALPHA[(gap + _JUNOS_NUM[previous] + 1) % len(_JUNOS_ALPHA)]
            crypt += previous
    return crypt


def junos_secret(text: str) -> str:
    """A Junos secret as configured: `$9$` obfuscation revealed, plain text kept."""
    return junos9_decode(text) if text.startswith("$9$") else text


def hex_text(digits: str) -> str | None:
    """The text that hex digits spell (None when they spell no UTF-8 text)."""
    try:
        return bytes.fromhex(digits).decode()
    except (ValueError, UnicodeDecodeError):
        return None


def swan_secret(value: str) -> str:
    """A swanctl secret with its `0x` (hex) or `0s` (base64) encoding undone."""
    if value.startswith("0x"):
        text = hex_text(value[2:])
        return value if text is None else text
    if value.startswith("0s"):
        try:
            return base64.b64decode(value[2:]).decode()
        except (ValueError, binascii.Error, UnicodeDecodeError):
            return value
    return value
