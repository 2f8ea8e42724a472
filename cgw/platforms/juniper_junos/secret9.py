"""Junos `$9$` secrets: a reversible obfuscation, decoded so a device's key can be compared."""

from __future__ import annotations

import random

# Junos "$9$" secrets: a salt character, 0-3 random characters (how many depends on the salt's
# family), then each byte as a few "gaps" between consecutive characters of a 65-character
# alphabet, the gaps weighted by a cycle of seven weight tuples.
from cgw.encodings import (  # one copy of the tables, shared with the masker
    NINE_ALPHABET,
    NINE_MAGIC,
    NINE_PADDING,
    NINE_POSITION,
    NINE_WEIGHTS,
)

__all__ = ["NINE_MAGIC", "NineDecodeError", "decode_nine", "encode_nine"]


class NineDecodeError(ValueError):
    """A `$9$` string that is not well formed (message never holds the string)."""


def decode_nine(secret: str) -> str:
    """The clear text of a Junos `$9$` secret."""
    if not secret.startswith(NINE_MAGIC) or len(secret) < 4:
        raise NineDecodeError("not a $9$ secret")
    body = secret[len(NINE_MAGIC) :]
    if any(c not in NINE_POSITION for c in body):
        raise NineDecodeError("character outside the $9$ alphabet")
    previous = body[0]
    rest = body[1 + NINE_PADDING[previous] :]
    clear: list[str] = []
    while rest:
        weights = NINE_WEIGHTS[len(clear) % len(NINE_WEIGHTS)]
        if len(rest) < len(weights):
            raise NineDecodeError("truncated $9$ secret")
        chunk, rest = rest[: len(weights)], rest[len(weights) :]
        value = 0
        for char, weight in zip(chunk, weights, strict=True):
            gap = (NINE_POSITION[char] - NINE_POSITION[previous]) % len(NINE_ALPHABET) - 1
            value += gap * weight
            previous = char
        clear.append(chr(value % 256))
    return "".join(clear)


def encode_nine(clear: str, rng: random.Random | None = None) -> str:
    """`clear` as Junos would store it: `$9$`, random salt and padding, then the gaps."""
    pick = (rng or random.SystemRandom()).choice
    salt = pick(NINE_ALPHABET)
    out = [NINE_MAGIC, salt, *(pick(NINE_ALPHABET) for _ in range(NINE_PADDING[salt]))]
    previous = salt
    for index, char in enumerate(clear):
        code = ord(char)
        if code > 255:
            raise ValueError("$9$ encodes single-byte characters only")
        weights = NINE_WEIGHTS[index % len(NINE_WEIGHTS)]
        gaps = [0] * len(weights)
        for slot in reversed(range(len(weights))):
            gaps[slot], code = divmod(code, weights[slot])
        for gap in gaps:
            previous = NINE_ALPHABET[(NINE_POSITION[previous] + gap + 1) % len(NINE_ALPHABET)]
            out.append(previous)
    return "".join(out)
