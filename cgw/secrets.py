"""Secret values and the masking applied wherever text leaves cgw (stdout, logs, diffs, errors).

One `Masker` per run (a command invocation, an API call): created by the entry point, handed
down explicitly, and also reachable as `current_masker()` for code deep in a platform that only
formats an error message. Every key it knows is masked in clear and in each encoding a key can
wear in cgw's output (base64 at any alignment, hex, Cisco type 7); any Junos `$9$` string and
any key-bearing field of AWS's and devices' formats is blanked even when the key is unknown.
"""

from __future__ import annotations

import contextvars
import functools
import logging
import re
import threading
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass

from cgw.encodings import (
    NINE_TOKEN,
    base64_forms,
    hex_forms,
    nine_decode,
    type7_decode,
    type7_forms,
)
from cgw.errors import ValidationError

# AWS: 8-64 characters of letters, digits, underscore and dot; may not start with zero.
_PSK_PATTERN = re.compile(r"[A-Za-z0-9_.]{8,64}")
# A fragment shorter than this at the edge of a chunk is not worth hiding (and would hide words).
_EDGE_MIN = 4
# The label of a key found on a device (or in text) that cgw was not told about.
UNKNOWN_LABEL = "secret"


class PreSharedKey:
    """An IKE pre-shared key whose str() and repr() never show the value."""

    __slots__ = ("_value",)

    def __init__(self, value: str) -> None:
        if not isinstance(value, str) or not _PSK_PATTERN.fullmatch(value) or value.startswith("0"):
            raise ValidationError(
                "pre-shared key must be 8-64 characters of A-Z a-z 0-9 _ . and not start with 0"
            )
        self._value = value

    def reveal(self) -> str:
        """The clear-text key, for templates and files written 0600 only."""
        return self._value

    def __str__(self) -> str:
        return "********"

    def __repr__(self) -> str:
        return "PreSharedKey('********')"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, PreSharedKey) and other._value == self._value

    def __hash__(self) -> int:
        return hash(("psk", self._value))


# Where AWS's wire formats carry a key, for text logged before cgw knows the value (botocore's
# debug log of a DescribeVpnConnections body, a request's query string, a Secrets Manager reply).
_AWS_SECRET_FIELDS = (
    re.compile(r"(?i)(<(pre_?shared_?key|secretString)>)[^<]*(</\2>)"),
    re.compile(r"(?i)(&lt;(pre_?shared_?key)&gt;).*?(&lt;/\2&gt;)"),
    re.compile(r"""(?i)(["']?(preSharedKey|secretString)["']?\s*[:=]\s*["'])[^"']*(["'])"""),
    re.compile(r"(?i)((PreSharedKey)=)[^&\s]*()"),
)
# Where device configurations carry a key, for keys cgw does not know (the one a device still
# holds after AWS rotated it, another VPN's): Junos `pre-shared-key ascii-text "..."`, IOS
# `pre-shared-key [local|remote] [address A [MASK] key] [0|6|7] KEY`, PAN-OS
# `pre-shared-key key KEY`, swanctl `secret = ...` (also as a diff line, `-  secret = ...`).
# A value already replaced by a label is left alone.
_DEVICE_SECRET_FIELDS = (
    re.compile(r'(?i)(pre-shared-key\s+(?:ascii-text|hexadecimal)\s+)(?!"?<)("[^"]*"|\S+)'),
    re.compile(r'(?i)(pre-shared-key\s+key\s+)(?!"?<)("[^"]*"|\S+)'),
    re.compile(
        r"(?i)(pre-shared-key(?:\s+(?:local|remote))?"
        r"(?:\s+address\s+\S+(?:\s+\d+\.\d+\.\d+\.\d+)?\s+key)?(?:\s+[067](?=\s))?\s+)"
        r"(?!<|ascii-text|hexadecimal|address|local|remote|key\s)(\S+)"
    ),
    re.compile(r'(?im)(^[-+ ]?\s*secret\s*=\s*)(?!"?<)("[^"]*"|\S+)'),
)
_LABEL = re.compile(r"<((?:psk|secret)[^<>\s]*)>")


def mask_secret_fields(text: str) -> str:
    """Blank every key-bearing field of AWS's and devices' formats, and every `$9$` string."""
    lowered = text.lower()
    # The patterns are slow on long text without their keyword: look for the keyword first.
    if any(word in lowered for word in ("pre_shared", "preshared", "secretstring")):
        for pattern in _AWS_SECRET_FIELDS:
            text = pattern.sub(lambda m: f"{m.group(1)}<psk>{m.group(3)}", text)
    if "pre-shared-key" in lowered or "secret" in lowered:
        for pattern in _DEVICE_SECRET_FIELDS:
            text = pattern.sub(_blank_value, text)
    return NINE_TOKEN.sub("<secret>", text) if "$9$" in text else text


def _blank_value(match: re.Match[str]) -> str:
    """A key field's value as `<secret>`, keeping its quotes (so diff lines stay comparable)."""
    blank = '"<secret>"' if match.group(2).startswith('"') else "<secret>"
    return f"{match.group(1)}{blank}"


def secret_forms(value: str) -> tuple[str, ...]:
    """A key and every encoded form of it that may show up in text."""
    return (value, *base64_forms(value), *hex_forms(value), *type7_forms(value))


def secrets_in(text: str) -> list[str]:
    """The key values of every key-bearing field in a device configuration, decoded."""
    found = []
    for pattern in _DEVICE_SECRET_FIELDS:
        for match in pattern.finditer(text):
            value = match.group(2).strip('"')
            found.append(value)
            decoded = nine_decode(value) if value.startswith("$9$") else type7_decode(value)
            if decoded:
                found.append(decoded)
    return found


class Masker:
    """Replaces known secret values, in every encoding, with labels such as `<psk:tunnel1>`.

    Thread-safe: `add` takes a lock and publishes a new compiled pattern; `mask` reads the
    current (immutable) pattern without locking.
    """

    def __init__(self, secrets: Mapping[str, str] | None = None) -> None:
        self._lock = threading.Lock()
        self._labels: dict[str, str] = {}  # value → label
        # Published together and never mutated: every encoded form → label, and their pattern.
        self._compiled = _Compiled.of({})
        for label, value in (secrets or {}).items():
            self.add(label, value)

    def add(self, label: str, value: str, *, keep_label: bool = False) -> None:
        """Register a secret value under a label (values shorter than 4 chars are ignored).

        With keep_label, a value already known keeps its existing, more specific label.
        """
        if not value or len(value) < _EDGE_MIN:
            return
        with self._lock:
            if value in self._labels and (keep_label or self._labels[value] == label):
                return
            self._labels[value] = label
            forms = {
                form: known
                for known_value, known in self._labels.items()
                for form in secret_forms(known_value)
                if len(form) >= _EDGE_MIN
            }
            self._compiled = _Compiled.of(forms)

    def learn(self, text: str) -> None:
        """Register every key a device configuration holds (decoded), labelled `<secret>`."""
        for value in secrets_in(text):
            self.add(UNKNOWN_LABEL, value, keep_label=True)

    def extend(self, other: Masker) -> None:
        """Take over every secret another masker knows."""
        for value, label in other.known().items():
            self.add(label, value)

    def known(self) -> dict[str, str]:
        """A copy of value → label."""
        with self._lock:
            return dict(self._labels)

    @property
    def empty(self) -> bool:
        return not self._labels

    def mask(self, text: str, *, edges: bool = False) -> str:
        """Return text with every known secret (any encoding) replaced by `<label>`.

        With edges, a piece of a secret at the start or end of the text (a key split over two
        chunks of a stream) is hidden too.
        """
        compiled = self._compiled
        for form, label in compiled.ordered:
            if form in text:
                text = text.replace(form, f"<{label}>")
        if edges and compiled.ordered:
            text = compiled.mask_edges(text)
        return mask_secret_fields(text)

    def mask_all(self, texts: Iterable[str]) -> list[str]:
        return [self.mask(t) for t in texts]

    def mask_diff(self, diff: str) -> str:
        """Mask a unified diff; a secret that changed shows as `<psk:tunnel1 changed>`.

        Without this, an old and a new key would both read `<secret>`: two identical lines.
        """
        raw = diff.splitlines(keepends=True)
        masked = [self.mask(line) for line in raw]
        removed: dict[str, str] = {}  # masked text, labels blanked → the raw line
        for index, line in enumerate(masked):
            shape = _LABEL.sub("<>", line[1:])
            if line.startswith("-") and not line.startswith("---"):
                removed[shape] = raw[index][1:]
            elif line.startswith("+") and not line.startswith("+++"):
                before = removed.get(shape)
                if before is not None and before != raw[index][1:] and _LABEL.search(line):
                    masked[index] = _LABEL.sub(r"<\1 changed>", line)
            else:
                removed.clear()
        return "".join(masked)


@dataclass(frozen=True)
class _Compiled:
    """What a Masker matches, built once per change and never mutated (so `mask` needs no lock):
    every form longest first; for chunk edges, built on first use, the prefixes (by last
    character) and suffixes (by first character) of every form, longest first."""

    ordered: tuple[tuple[str, str], ...]

    @classmethod
    def of(cls, forms: Mapping[str, str]) -> _Compiled:
        return cls(tuple(sorted(forms.items(), key=lambda item: len(item[0]), reverse=True)))

    @functools.cached_property
    def prefixes(self) -> Mapping[str, tuple[tuple[str, str], ...]]:
        found: dict[str, list[tuple[str, str]]] = {}
        for form, label in self.ordered:
            for size in range(_EDGE_MIN, len(form)):
                found.setdefault(form[size - 1], []).append((form[:size], label))
        return {c: tuple(sorted(p, key=lambda x: -len(x[0]))) for c, p in found.items()}

    @functools.cached_property
    def suffixes(self) -> Mapping[str, tuple[tuple[str, str], ...]]:
        found: dict[str, list[tuple[str, str]]] = {}
        for form, label in self.ordered:
            for size in range(_EDGE_MIN, len(form)):
                found.setdefault(form[-size], []).append((form[-size:], label))
        return {c: tuple(sorted(p, key=lambda x: -len(x[0]))) for c, p in found.items()}

    def mask_edges(self, text: str) -> str:
        """Hide a piece of a secret that ends the text or starts it (a secret split in two)."""
        if len(text) < _EDGE_MIN:
            return text
        tail = next(
            ((p, lb) for p, lb in self.prefixes.get(text[-1], ()) if text.endswith(p)), None
        )
        head = next(
            ((s, lb) for s, lb in self.suffixes.get(text[0], ()) if text.startswith(s)), None
        )
        if tail is not None and head is not None and len(tail[0]) + len(head[0]) > len(text):
            return f"<{head[1]}>"
        if tail is not None:
            text = text[: len(text) - len(tail[0])] + f"<{tail[1]}>"
        if head is not None:
            text = f"<{head[1]}>" + text[len(head[0]) :]
        return text


_RUN_MASKER: contextvars.ContextVar[Masker | None] = contextvars.ContextVar(
    "cgw_run_masker", default=None
)


def current_masker() -> Masker:
    """The masker of the run this code is part of (a throwaway, empty one outside any run)."""
    return _RUN_MASKER.get() or Masker()


@contextmanager
def masking_run(masker: Masker | None = None) -> Iterator[Masker]:
    """Make `masker` the current run's masker for this block.

    By default a new one, knowing what an enclosing run knows (`cgw demo` runs commands inside).
    """
    run = masker if masker is not None else Masker()
    outer = _RUN_MASKER.get()
    if masker is None and outer is not None:
        run.extend(outer)
    token = _RUN_MASKER.set(run)
    try:
        yield run
    finally:
        _RUN_MASKER.reset(token)


class _CurrentRunMasker:
    """`PROCESS_MASKER.mask(...)` for callers written before per-run masking: it holds nothing
    and masks with the current run's masker."""

    def mask(self, text: str) -> str:
        return current_masker().mask(text)

    def mask_all(self, texts: Iterable[str]) -> list[str]:
        return current_masker().mask_all(texts)


# Deprecated alias kept for the platform modules; new code takes a Masker or current_masker().
PROCESS_MASKER = _CurrentRunMasker()


class MaskingFilter(logging.Filter):
    """A logging filter that masks secrets in every record passing through a handler.

    Records from a thread that paused logging (a file transfer of secret material) are dropped.
    """

    def __init__(self, masker: Masker) -> None:
        super().__init__()
        self.masker = masker
        self._paused: set[int] = set()

    @contextmanager
    def paused(self) -> Iterator[None]:
        """Drop every record the calling thread emits inside this block."""
        ident = threading.get_ident()
        self._paused.add(ident)
        try:
            yield
        finally:
            self._paused.discard(ident)

    def filter(self, record: logging.LogRecord) -> bool:
        if record.thread in self._paused:
            return False
        message = record.getMessage()
        masked = self.masker.mask(message, edges=True)
        if masked != message:
            record.msg = masked
            record.args = None
        return True
