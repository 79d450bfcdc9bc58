"""Webhook secrets through Powertools' SSM provider, on moto."""

from __future__ import annotations

import boto3
import pytest

from chalicelib.triggers.errors import SecretUnavailable
from chalicelib.triggers.secrets import SsmSecrets


@pytest.fixture
def ssm(monkeypatch):
    from moto import mock_aws

    for key, value in {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing",
                       "AWS_DEFAULT_REGION": "us-east-1"}.items():
        monkeypatch.setenv(key, value)
    with mock_aws():
        yield boto3.client("ssm", region_name="us-east-1")


def test_a_secure_string_is_read_decrypted_and_cached(ssm):
    ssm.put_parameter(Name="/inside-flow/f/secret", Value="one", Type="SecureString")
    secrets = SsmSecrets("us-east-1")
    assert secrets.get("/inside-flow/f/secret") == "one"
    ssm.put_parameter(Name="/inside-flow/f/secret", Value="two", Type="SecureString", Overwrite=True)
    assert secrets.get("/inside-flow/f/secret") == "one"  # cached for SECRET_MAX_AGE_SECONDS
    assert SsmSecrets("us-east-1", max_age=0).get("/inside-flow/f/secret") == "two"


def test_a_missing_parameter_is_a_named_error(ssm):
    with pytest.raises(SecretUnavailable) as caught:
        SsmSecrets("us-east-1").get("/inside-flow/missing")
    assert caught.value.code == "webhook_secret_unavailable" and caught.value.status == 500
