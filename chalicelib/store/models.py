"""PynamoDB models of the single flow table.

| item       | pk            | sk            |
|------------|---------------|---------------|
| run        | RUN#<id>      | RUN           |
| history    | RUN#<id>      | EVT#<seq:09>  |
| branch     | RUN#<id>      | BR#<branch>   |
| its history| RUN#<id>      | BEV#<branch>#<seq:09> |
| join       | RUN#<id>      | JOIN#<group>  |
| definition | FLOW#<name>   | DEF#<version> |

A branch is a parallel branch or a map item: a cursor like the run's, with its
own version. Its item stores ``flow``, ``status`` and ``started_at`` under other
attribute names so the by_flow/by_status indexes list runs only; it keeps
``due_shard``/``due_at`` so the sweeper watches branches too.

Models are declared once without a table and bound to a concrete table by
:func:`bind_models`, so the app, the local stack and the tests share one schema.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass

from pynamodb.attributes import (
    JSONAttribute,
    NumberAttribute,
    UnicodeAttribute,
    UTCDateTimeAttribute,
    VersionAttribute,
)
from pynamodb.indexes import GlobalSecondaryIndex, IncludeProjection, KeysOnlyProjection
from pynamodb.models import Model

__all__ = ["TableModels", "bind_models", "DUE_SHARDS", "run_key", "event_key", "branch_key", "join_key",
           "definition_key", "JOIN_OPEN", "JOIN_CLOSED"]

DUE_SHARDS = 8
RUN_SK = "RUN"


def run_key(run_id: str) -> str:
    return f"RUN#{run_id}"


JOIN_OPEN = "OPEN"
JOIN_CLOSED = "CLOSED"


def event_key(seq: int, branch: str | None = None) -> str:
    return f"EVT#{seq:09d}" if branch is None else f"BEV#{branch}#{seq:09d}"


def branch_key(branch: str) -> str:
    return f"BR#{branch}"


def join_key(group: str) -> str:
    return f"JOIN#{group}"


def definition_key(name: str, version: str) -> tuple[str, str]:
    return f"FLOW#{name}", f"DEF#{version}"


class ByFlowIndex(GlobalSecondaryIndex):
    """Runs of one flow, newest first. Projects only what changes with the status, so ordinary transitions do
    not write to this index."""

    class Meta:
        index_name = "by_flow"
        projection = IncludeProjection(["run_id", "status", "finished_at"])

    flow = UnicodeAttribute(hash_key=True)
    started_at = UTCDateTimeAttribute(range_key=True)


class ByStatusIndex(GlobalSecondaryIndex):
    class Meta:
        index_name = "by_status"
        projection = IncludeProjection(["run_id", "flow", "finished_at"])

    status = UnicodeAttribute(hash_key=True)
    started_at = UTCDateTimeAttribute(range_key=True)


class DueIndex(GlobalSecondaryIndex):
    """Sparse: only running runs carry due_shard/due_at, so the sweeper queries without scanning."""

    class Meta:
        index_name = "due"
        projection = KeysOnlyProjection()

    due_shard = UnicodeAttribute(hash_key=True)
    due_at = UTCDateTimeAttribute(range_key=True)


class _RunItem(Model):
    pk = UnicodeAttribute(hash_key=True)
    sk = UnicodeAttribute(range_key=True, default=RUN_SK)
    run_id = UnicodeAttribute()
    flow = UnicodeAttribute()
    flow_version = UnicodeAttribute()
    status = UnicodeAttribute()
    cursor = UnicodeAttribute(null=True)
    context = JSONAttribute()
    attempt = NumberAttribute(default=1)
    event_count = NumberAttribute(default=0)
    wake_at = UTCDateTimeAttribute(null=True)
    started_at = UTCDateTimeAttribute()
    updated_at = UTCDateTimeAttribute()
    finished_at = UTCDateTimeAttribute(null=True)
    started_by = JSONAttribute(null=True)
    error = JSONAttribute(null=True)
    due_shard = UnicodeAttribute(null=True)
    due_at = UTCDateTimeAttribute(null=True)
    children = UnicodeAttribute(null=True)
    child_run = UnicodeAttribute(null=True)
    deadline = UTCDateTimeAttribute(null=True)
    run_deadline = UTCDateTimeAttribute(null=True)
    compensations = JSONAttribute(null=True)
    unwinding = JSONAttribute(null=True)
    # The history events of the last commit, written with it in the same item; see repository.commit.
    pending_events = JSONAttribute(null=True)
    version = VersionAttribute()

    by_flow = ByFlowIndex()
    by_status = ByStatusIndex()
    due = DueIndex()


class _BranchItem(_RunItem):
    flow = UnicodeAttribute(attr_name="b_flow")
    status = UnicodeAttribute(attr_name="b_status")
    started_at = UTCDateTimeAttribute(attr_name="b_started_at")
    branch = UnicodeAttribute()
    machine = UnicodeAttribute(null=True)
    group = UnicodeAttribute()
    successor = UnicodeAttribute(null=True)


class _JoinItem(Model):
    """The join of one parallel/map visit: counters updated with ADD only, so finishing branches never conflict."""

    pk = UnicodeAttribute(hash_key=True)
    sk = UnicodeAttribute(range_key=True)
    group = UnicodeAttribute()
    state = UnicodeAttribute()
    parent_branch = UnicodeAttribute(null=True)
    join_status = UnicodeAttribute(attr_name="j_status")
    total = NumberAttribute()
    tolerated = NumberAttribute(default=0)
    done = NumberAttribute(default=0)
    failed = NumberAttribute(default=0)
    created_at = UTCDateTimeAttribute()


class _EventItem(Model):
    pk = UnicodeAttribute(hash_key=True)
    sk = UnicodeAttribute(range_key=True)
    seq = NumberAttribute()
    type = UnicodeAttribute()
    time = UTCDateTimeAttribute()
    state = UnicodeAttribute(null=True)
    next = UnicodeAttribute(null=True)
    attempt = NumberAttribute(null=True)
    error = JSONAttribute(null=True)
    detail = JSONAttribute(null=True)


class _DefinitionItem(Model):
    pk = UnicodeAttribute(hash_key=True)
    sk = UnicodeAttribute(range_key=True)
    name = UnicodeAttribute()
    version = UnicodeAttribute()
    document = JSONAttribute()
    published_at = UTCDateTimeAttribute()


@dataclass(frozen=True)
class TableModels:
    run: type[_RunItem]
    branch: type[_BranchItem]
    join: type[_JoinItem]
    event: type[_EventItem]
    definition: type[_DefinitionItem]


@functools.lru_cache(maxsize=16)
def bind_models(table_name: str, region: str, host: str | None = None) -> TableModels:
    """Model classes bound to one table; cached so each table gets one set of classes (and connections)."""

    def bound(model: type[Model]) -> type[Model]:
        meta = type("Meta", (), {"table_name": table_name, "region": region, "host": host,
                                 "billing_mode": "PAY_PER_REQUEST"})
        return type(model.__name__.lstrip("_"), (model,), {"Meta": meta, "__module__": __name__})

    return TableModels(run=bound(_RunItem), branch=bound(_BranchItem), join=bound(_JoinItem),
                       event=bound(_EventItem), definition=bound(_DefinitionItem))
