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


class Masker:
    """Replaces known secret values in text with labels such as `<psk:tunnel1>`."""

    def __init__(self, secrets: Mapping[str, str] | None = None) -> None:
        self._labels: dict[str, str] = {}
        for label, value in (secrets or {}).items():
            self.add(label, value)

    def add(self, label: str, value: str) -> None:
        """Register a secret value under a label (shorter values than 4 chars are ignored)."""
        if value and len(value) >= 4:
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
        return text

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
