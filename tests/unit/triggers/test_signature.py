"""The webhook signing scheme, checked against an independent HMAC computation."""

from __future__ import annotations

import hashlib
import hmac
from datetime import datetime, timezone

import pytest
from hypothesis import given
from hypothesis import strategies as st

from chalicelib.triggers.errors import SignatureExpired, SignatureInvalid, SignatureMissing
from chalicelib.triggers.signature import sign, verify

NOW = datetime(2026, 1, 5, 9, 0, tzinfo=timezone.utc)
TS = int(NOW.timestamp())


def test_the_signed_string_is_timestamp_dot_raw_body():
    expected = hmac.new(b"k", f"{TS}.".encode() + b'{"a":1}', hashlib.sha256).hexdigest()
    assert sign("k", TS, b'{"a":1}') == f"sha256={expected}"


@given(body=st.binary(max_size=256), secret=st.text(min_size=1, max_size=40), skew=st.integers(-300, 300))
def test_what_is_signed_verifies_within_the_window(body, secret, skew):
    ts = TS + skew
    assert verify(secret, str(ts), sign(secret, ts, body), body, NOW, 300) == ts


@given(body=st.binary(min_size=1, max_size=64), flip=st.integers(0, 63))
def test_any_changed_byte_fails(body, flip):
    tampered = bytearray(body)
    tampered[flip % len(body)] ^= 0x01
    with pytest.raises(SignatureInvalid):
        verify("k", str(TS), sign("k", TS, body), bytes(tampered), NOW, 300)


def test_missing_stale_and_mangled():
    good = sign("k", TS, b"x")
    with pytest.raises(SignatureMissing):
        verify("k", None, good, b"x", NOW, 300)
    with pytest.raises(SignatureMissing):
        verify("k", str(TS), "", b"x", NOW, 300)
    with pytest.raises(SignatureInvalid):
        verify("k", "1.5", good, b"x", NOW, 300)
    with pytest.raises(SignatureInvalid):
        verify("k", str(TS + 1), good, b"x", NOW, 300)  # the timestamp is signed too
    with pytest.raises(SignatureExpired):
        verify("k", str(TS - 301), sign("k", TS - 301, b"x"), b"x", NOW, 300)
