"""The root of every error Inside Flow raises on purpose.

Each subclass carries its HTTP status and a stable machine-readable ``code`` as
class attributes, so the API maps an error to a response in exactly one place
(``chalicelib.api.responses``) and clients can branch on ``code``.
"""

from __future__ import annotations

from typing import Any

__all__ = ["InsideFlowError"]


class InsideFlowError(Exception):
    status: int = 500
    code: str = "internal_error"

    def __init__(self, message: str, *, field: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.field = field

    def to_body(self) -> dict[str, Any]:
        body: dict[str, Any] = {"code": self.code, "message": self.message}
        if self.field is not None:
            body["field"] = self.field
        return body
