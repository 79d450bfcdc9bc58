"""The work message: which run to look at, at which version, and why."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

from chalicelib.engine import WorkKind

__all__ = ["WorkMessage"]


class WorkMessage(BaseModel):
    """``seq`` is the cursor's version when the message was sent; any other version makes the message stale.

    ``branch`` names the branch/map item the message is for; none means the run itself.
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    run_id: str = Field(min_length=1)
    seq: int = Field(ge=1)
    kind: WorkKind = WorkKind.ADVANCE
    branch: str | None = None
