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
         'set security ike policy p pre-shared-key ascii-text "<secret>"'),
        ('set security ike policy p pre-shared-key ascii-text "$9$abcDEF"',
         'set security ike policy p pre-shared-key ascii-text "<secret>"'),
        (f'    secret = "{KEY}"', '    secret = "<secret>"'),
        (f'-        secret = "{KEY}"', '-        secret = "<secret>"'),
        (f"+        secret = {KEY}", "+        secret = <secret>"),
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


# ------------------------------------------------------------------ encodings, per-run masking
def test_every_encoding_of_a_known_key_is_masked() -> None:
    import base64

    from cgw.encodings import type7_encode
    from cgw.platforms.juniper_junos.secret9 import encode_nine

    key = "Known.key_of_tunnel_1"
    masker = Masker({"psk:tunnel1": key})
    for prefix in (b"", b"a", b"ab"):  # the key at each alignment of a base64 stream
        stream = base64.b64encode(prefix + f"secret = {key}\n".encode()).decode()
        assert masker.mask(f"printf '%s\\n' {stream}").count("<psk:tunnel1>") == 1
    assert masker.mask(key.encode().hex()) == "<psk:tunnel1>"
    assert masker.mask(key.encode().hex().upper()) == "<psk:tunnel1>"
    for seed in (0, 7, 15):
        assert masker.mask(f"key 7 {type7_encode(key, seed)}") == "key 7 <psk:tunnel1>"
    assert key not in masker.mask(f'authentication-key "{encode_nine(key)}"')


def test_keys_a_device_holds_are_learned_decoded() -> None:
    from cgw.platforms.juniper_junos.secret9 import encode_nine

    old = "Old.key_only_on_device"
    masker = Masker()
    masker.learn(f'set security ike policy p pre-shared-key ascii-text "{encode_nine(old)}"\n')
    assert masker.mask(f"echo {old}") == "echo <secret>"
    assert old.encode().hex() not in masker.mask(old.encode().hex())


def test_a_key_split_over_two_log_chunks_is_masked_at_the_edges() -> None:
    key = "Split.key_over_chunks"
    masker = Masker({"psk:tunnel1": key})
    first, second = f"read: pre-shared {key[:9]}", f"{key[9:]} done"
    assert key[:9] not in masker.mask(first, edges=True)
    assert key[9:] not in masker.mask(second, edges=True)


def test_a_changed_key_shows_as_changed_not_as_two_identical_lines() -> None:
    masker = Masker({"psk:tunnel1": "New.key_from_aws_1"})
    diff = (
        "--- a\n+++ b\n@@ -1 +1 @@\n"
        '-set security ike policy p pre-shared-key ascii-text "$9$abcdefgh"\n'
        '+set security ike policy p pre-shared-key ascii-text "New.key_from_aws_1"\n'
        "-        secret = Old.key_on_the_host\n"
        "+        secret = New.key_from_aws_1\n"
    )
    masked = masker.mask_diff(diff)
    assert "Old.key_on_the_host" not in masked and "New.key_from_aws_1" not in masked
    assert masked.count("<psk:tunnel1 changed>") == 2
    removed = [line for line in masked.splitlines() if line.startswith("-") and "<" in line]
    added = [line for line in masked.splitlines() if line.startswith("+") and "<" in line]
    assert not set(line[1:] for line in removed) & set(line[1:] for line in added)


def test_a_psk_no_longer_registers_itself_and_runs_do_not_share_secrets() -> None:
    from cgw.secrets import current_masker, masking_run

    PreSharedKey("Constructed.key_value")
    with masking_run() as first:
        assert first.mask("Constructed.key_value") == "Constructed.key_value"
        first.add("psk:tunnel1", "Run.one_key_value")
        assert current_masker() is first
    with masking_run() as second:
        assert second.mask("Run.one_key_value") == "Run.one_key_value"


def test_masker_is_safe_to_fill_from_many_threads() -> None:
    import threading

    masker = Masker()
    keys = [f"Thread.key_number_{i:03d}" for i in range(64)]

    def add(chunk: list[str]) -> None:
        for key in chunk:
            masker.add(f"psk:{key[-3:]}", key)
            assert key not in masker.mask(f"x {key} y")

    threads = [threading.Thread(target=add, args=(keys[i::8],)) for i in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    text = masker.mask(" ".join(keys))
    assert not any(key in text for key in keys)
