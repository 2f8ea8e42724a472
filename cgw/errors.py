"""One exception hierarchy; the CLI turns each into one line and an exit code."""

from __future__ import annotations


class CgwError(Exception):
    """A failure a person can act on; its message is shown as one line."""

    exit_code: int = 1


class ValidationError(CgwError, ValueError):
    """A value that may not reach a device config (wrong type, range or characters)."""


class InventoryError(CgwError):
    """The inventory is malformed; the message names the file, the device and the key."""


class AwsError(CgwError):
    """AWS could not answer what was asked (unknown VPN, no credentials, throttling, ...)."""


class RenderError(CgwError):
    """A template could not be rendered for a device."""


class ParseError(CgwError):
    """Device output could not be parsed; names the platform and the command."""


class DeviceError(CgwError):
    """The device refused, dropped or timed out; the device is left as it was."""
