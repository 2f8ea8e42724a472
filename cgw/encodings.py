"""The encodings a secret can wear in text cgw prints: base64, hex, Cisco type 7, Junos `$9$`.

Pure functions, no platform imports: the masker (secrets.py) derives every form of a key it
knows, and recognises the reversible vendor forms (type 7, `$9$`) of keys it does not know.
"""

from __future__ import annotations

import base64
import re
from typing import Final

# Cisco type 7: each byte XORed with this public table, starting at a two-digit seed.
TYPE7_XLAT: Final = "dsfd;kfoA,.iyewrkldJKDHSUBsgvca69834ncxv9873254k;fg87"
TYPE7_SEEDS: Final = range(16)
TYPE7_TOKEN: Final = re.compile(r"\b(?:0\d|1[0-5])(?:[0-9A-Fa-f]{2}){4,}\b")

# Junos `$9$`: a reversible obfuscation over a 65-character alphabet in four families.
NINE_MAGIC: Final = "$9$"
NINE_FAMILIES: Final = (
    "QzF3n6/9CAtpu0O",
    "B1IREhcSyrleKvMW8LXx",
    "7N-dVbwsY2g4oaJZGUDj",
    "iHkq.mPf5T",
)
NINE_ALPHABET: Final = "".join(NINE_FAMILIES)
NINE_POSITION: Final = {c: i for i, c in enumerate(NINE_ALPHABET)}
NINE_PADDING: Final = {c: 3 - i for i, family in enumerate(NINE_FAMILIES) for c in family}
NINE_WEIGHTS: Final = (
    (1, 4, 32),
    (1, 16, 32),
    (1, 8, 32),
    (1, 64),
    (1, 32),
    (1, 4, 16, 128),
    (1, 32, 64),
)
NINE_TOKEN: Final = re.compile(r"\$9\$[" + re.escape(NINE_ALPHABET) + r"]+")


def base64_forms(value: str) -> tuple[str, ...]:
    """The base64 text that `value` produces wherever it sits in an encoded stream.

    A key at byte offset 0, 1 or 2 (mod 3) of a stream encodes differently; for each alignment
    only the characters that depend on the key's bytes alone are kept.
    """
    data = value.encode("utf-8")
    forms = []
    for align in range(3):
        encoded = base64.b64encode(b"\0" * align + data).decode("ascii")
        start = -(-8 * align // 6)
        end = 8 * (align + len(data)) // 6
        forms.append(encoded[start:end])
    return tuple(f for f in forms if len(f) >= 4)


def hex_forms(value: str) -> tuple[str, ...]:
    """`value` as hexadecimal digits, lower and upper case."""
    digits = value.encode("utf-8").hex()
    return digits, digits.upper()


def type7_encode(value: str, seed: int) -> str:
    """Cisco type 7 of `value` with the given seed (0-15), upper-case hex as IOS prints it."""
    out = [f"{seed:02d}"]
    for index, char in enumerate(value):
        out.append(f"{ord(char) ^ ord(TYPE7_XLAT[(seed + index) % len(TYPE7_XLAT)]):02X}")
    return "".join(out)


def type7_forms(value: str) -> tuple[str, ...]:
    """Every type 7 text of `value` (all seeds, both cases)."""
    forms = [type7_encode(value, seed) for seed in TYPE7_SEEDS]
    return (*forms, *(f.lower() for f in forms))


def type7_decode(text: str) -> str | None:
    """The clear text of a type 7 string, or None when it is not one."""
    if not TYPE7_TOKEN.fullmatch(text):
        return None
    seed = int(text[:2])
    body = bytes.fromhex(text[2:])
    chars = [chr(b ^ ord(TYPE7_XLAT[(seed + i) % len(TYPE7_XLAT)])) for i, b in enumerate(body)]
    decoded = "".join(chars)
    return decoded if decoded.isprintable() else None


def nine_decode(secret: str) -> str | None:
    """The clear text of a Junos `$9$` string, or None when it is not well formed."""
    if not secret.startswith(NINE_MAGIC) or len(secret) < 4:
        return None
    body = secret[len(NINE_MAGIC) :]
    salt, rest = body[0], body[1:]
    padding = NINE_PADDING.get(salt)
    if padding is None or len(rest) < padding:
        return None
    chars = rest[padding:]
    previous = salt
    decoded = []
    index = 0
    while chars:
        weights = NINE_WEIGHTS[index % len(NINE_WEIGHTS)]
        if len(chars) < len(weights):
            return None
        group, chars = chars[: len(weights)], chars[len(weights) :]
        total = 0
        for weight, char in zip(weights, group, strict=True):
            if char not in NINE_POSITION:
                return None
            gap = (NINE_POSITION[char] - NINE_POSITION[previous]) % len(NINE_ALPHABET) - 1
            total += gap * weight
            previous = char
        if not 0 <= total < 256:
            return None
        decoded.append(chr(total))
        index += 1
    return "".join(decoded)
