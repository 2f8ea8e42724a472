"""Secret values and the masking applied wherever text leaves cgw (stdout, logs, diffs, errors)."""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable, Mapping

from cgw.errors import ValidationError

# AWS: 8-64 characters of letters, digits, underscore and dot; may not start with zero.
_PSK_PATTERN = re.compile(r"[A-Za-z0-9_.]{8,64}")


class PreSharedKey:
    """An IKE pre-shared key whose str() and repr() never show the value."""

    __slots__ = ("_value",)

    def __init__(self, value: str) -> None:
        if not isinstance(value, str) or not _PSK_PATTERN.fullmatch(value) or value.startswith("0"):
            raise ValidationError(
                "pre-shared key must be 8-64 characters of A-Z a-z 0-9 _ . and not start with 0"
            )
        self._value = value
        PROCESS_MASKER.add("psk", value, keep_label=True)

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
# `pre-shared-key [local|remote] [address A [MASK] key] [0|6|7] KEY`, swanctl `secret = ...`.
# A value already replaced by a label (`<psk:tunnel1>`) is left as it is.
_DEVICE_SECRET_FIELDS = (
    re.compile(r'(?i)(pre-shared-key\s+(?:ascii-text|hexadecimal)\s+)(?!<)("[^"]*"|\S+)'),
    re.compile(
        r"(?i)(pre-shared-key(?:\s+(?:local|remote))?"
        r"(?:\s+address\s+\S+(?:\s+\d+\.\d+\.\d+\.\d+)?\s+key)?(?:\s+[067](?=\s))?\s+)"
        r"(?!<|ascii-text|hexadecimal|address|local|remote)(\S+)"
    ),
    re.compile(r'(?im)(^\s*secret\s*=\s*)(?!<)("[^"]*"|\S+)'),
)


def mask_secret_fields(text: str) -> str:
    """Blank every key-bearing field of AWS's formats and of device configurations."""
    for pattern in _AWS_SECRET_FIELDS:
        text = pattern.sub(lambda m: f"{m.group(1)}<psk>{m.group(3)}", text)
    for pattern in _DEVICE_SECRET_FIELDS:
        text = pattern.sub(lambda m: f"{m.group(1)}<secret>", text)
    return text


class Masker:
    """Replaces known secret values in text with labels such as `<psk:tunnel1>`."""

    def __init__(self, secrets: Mapping[str, str] | None = None) -> None:
        self._labels: dict[str, str] = {}
        for label, value in (secrets or {}).items():
            self.add(label, value)

    def add(self, label: str, value: str, *, keep_label: bool = False) -> None:
        """Register a secret value under a label (values shorter than 4 chars are ignored).

        With keep_label, a value already known keeps its existing, more specific label.
        """
        if not value or len(value) < 4:
            return
        if keep_label and value in self._labels:
            return
        self._labels[value] = label

    def extend(self, other: Masker) -> None:
        """Take over every secret another masker knows."""
        self._labels.update(other._labels)

    @property
    def empty(self) -> bool:
        return not self._labels

    def mask(self, text: str) -> str:
        """Return text with every known secret replaced by `<label>`; longest values first."""
        for value in sorted(self._labels, key=len, reverse=True):
            if value in text:
                text = text.replace(value, f"<{self._labels[value]}>")
        return mask_secret_fields(text)

    def mask_all(self, texts: Iterable[str]) -> list[str]:
        return [self.mask(t) for t in texts]


class MaskingFilter(logging.Filter):
    """A logging filter that masks secrets in every record passing through a handler."""

    def __init__(self, masker: Masker) -> None:
        super().__init__()
        self.masker = masker

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        masked = self.masker.mask(message)
        if masked != message:
            record.msg = masked
            record.args = None
        return True


# Every secret this process has seen (each PreSharedKey registers itself; sessions add passwords),
# so output, logs and error messages can be masked without knowing where a secret came from.
PROCESS_MASKER = Masker()
