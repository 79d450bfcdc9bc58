"""Errors a trigger delivery can end in; each maps to one HTTP status and a stable code."""

from __future__ import annotations

from chalicelib.errors import InsideFlowError

__all__ = [
    "WebhookNotFound",
    "SignatureMissing",
    "SignatureInvalid",
    "SignatureExpired",
    "SecretUnavailable",
    "InvalidDelivery",
    "MalformedEvent",
    "TriggerNotFound",
]


class WebhookNotFound(InsideFlowError):
    status = 404
    code = "webhook_not_found"


class SignatureMissing(InsideFlowError):
    status = 401
    code = "signature_missing"


class SignatureInvalid(InsideFlowError):
    status = 401
    code = "signature_invalid"


class SignatureExpired(InsideFlowError):
    """The timestamp is outside the tolerance window: a replay, or a sender clock far off."""

    status = 401
    code = "signature_expired"


class SecretUnavailable(InsideFlowError):
    """The webhook's secret cannot be read from SSM: a deployment problem, not the sender's."""

    status = 500
    code = "webhook_secret_unavailable"


class InvalidDelivery(InsideFlowError):
    status = 400
    code = "invalid_delivery"


class MalformedEvent(InsideFlowError):
    """An inbound queue message that no retry can fix; raising sends it towards the DLQ."""

    status = 400
    code = "malformed_event"


class TriggerNotFound(InsideFlowError):
    """A schedule or event handler points at a trigger the shipped definition no longer has."""

    status = 404
    code = "trigger_not_found"
