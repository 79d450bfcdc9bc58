"""Webhook secrets, read from SSM Parameter Store through Powertools' parameters utility (cached)."""

from __future__ import annotations

from typing import Any, Protocol

from chalicelib.triggers.errors import SecretUnavailable

__all__ = ["SecretSource", "SsmSecrets", "SECRET_MAX_AGE_SECONDS"]

# A rotated secret takes effect within this long; until then the old one still verifies.
SECRET_MAX_AGE_SECONDS = 300


class SecretSource(Protocol):
    def get(self, name: str) -> str: ...


class SsmSecrets:
    """One Powertools SSMProvider per process, so the cache survives across invocations of a warm Lambda."""

    def __init__(self, region: str | None = None, max_age: int = SECRET_MAX_AGE_SECONDS) -> None:
        self._region = region
        self._max_age = max_age
        self._provider: Any = None

    def get(self, name: str) -> str:
        from aws_lambda_powertools.utilities.parameters import SSMProvider
        from aws_lambda_powertools.utilities.parameters.exceptions import GetParameterError

        if self._provider is None:
            import boto3

            self._provider = SSMProvider(boto3_client=boto3.client("ssm", region_name=self._region))
        try:
            value = self._provider.get(name, max_age=self._max_age, decrypt=True)
        except GetParameterError as exc:
            raise SecretUnavailable(f"the webhook secret '{name}' cannot be read from SSM") from exc
        if not isinstance(value, str) or not value:
            raise SecretUnavailable(f"the webhook secret '{name}' is empty")
        return value
