"""Masking: known secrets by label, and any key-bearing field of AWS's and devices' formats."""

from __future__ import annotations

import logging

import pytest

from cgw.errors import ValidationError
from cgw.secrets import Masker, MaskingFilter, PreSharedKey, mask_secret_fields

KEY = "Old.key_the_device_still_has"


@pytest.mark.parametrize(
    ("line", "masked"),
    [
        (f" pre-shared-key {KEY}", " pre-shared-key <secret>"),
        (f"  pre-shared-key local {KEY}", "  pre-shared-key local <secret>"),
        (f" pre-shared-key address 198.51.100.10 key {KEY}",
         " pre-shared-key address 198.51.100.10 key <secret>"),
        (f" pre-shared-key address 198.51.100.10 255.255.255.255 key {KEY}",
         " pre-shared-key address 198.51.100.10 255.255.255.255 key <secret>"),
        (f" pre-shared-key 6 {KEY}", " pre-shared-key 6 <secret>"),
        (f" pre-shared-key address 198.51.100.10 key 7 {KEY}",
         " pre-shared-key address 198.51.100.10 key 7 <secret>"),
        (f'set security ike policy p pre-shared-key ascii-text "{KEY}"',
         "set security ike policy p pre-shared-key ascii-text <secret>"),
        ('set security ike policy p pre-shared-key ascii-text "$9$abcDEF"',
         "set security ike policy p pre-shared-key ascii-text <secret>"),
        (f'    secret = "{KEY}"', "    secret = <secret>"),
        (f"<pre_shared_key>{KEY}</pre_shared_key>", "<pre_shared_key><psk></pre_shared_key>"),
        (f'{{"PreSharedKey": "{KEY}"}}', '{"PreSharedKey": "<psk>"}'),
        (f"TunnelOptions.PreSharedKey={KEY}&V=1", "TunnelOptions.PreSharedKey=<psk>&V=1"),
        (" pre-shared-key <psk:tunnel1>", " pre-shared-key <psk:tunnel1>"),
        ("  address 198.51.100.10", "  address 198.51.100.10"),
    ],
)  # fmt: skip
def test_key_fields_are_blanked(line: str, masked: str) -> None:
    assert mask_secret_fields(line) == masked


def test_masker_labels_known_values_and_blanks_unknown_ones() -> None:
    masker = Masker({"psk:tunnel1": "Known.key_of_tunnel_1"})
    text = f" pre-shared-key Known.key_of_tunnel_1\n pre-shared-key {KEY}\n"
    assert masker.mask(text) == " pre-shared-key <psk:tunnel1>\n pre-shared-key <secret>\n"


def test_psk_never_shows_in_str_or_repr() -> None:
    psk = PreSharedKey("Visible.only_by_reveal")
    assert "Visible" not in str(psk) + repr(psk) + repr([psk])
    assert psk.reveal() == "Visible.only_by_reveal"


@pytest.mark.parametrize(
    "bad", ["short", "0starts_with_zero", "has space in it", "quote'd_key", "x" * 65]
)
def test_psk_charset_and_length(bad: str) -> None:
    with pytest.raises(ValidationError) as caught:
        PreSharedKey(bad)
    assert bad not in str(caught.value)


def test_logging_filter_masks_records(caplog: pytest.LogCaptureFixture) -> None:
    logger = logging.getLogger("cgw.test.masking")
    handler_filter = MaskingFilter(Masker({"psk:tunnel2": "Logged.key_of_tunnel_2"}))
    logger.addFilter(handler_filter)
    try:
        with caplog.at_level(logging.INFO, logger="cgw.test.masking"):
            logger.info("sending %s", "pre-shared-key Logged.key_of_tunnel_2")
    finally:
        logger.removeFilter(handler_filter)
    assert "Logged.key_of_tunnel_2" not in caplog.text
    assert "<psk:tunnel2>" in caplog.text
