"""The runtime side of subflow states: start the child run, read its end, wake the parent.

The child is an ordinary top-level run (``RUN#<child id>``) with ``started_by.source ==
"subflow"``; nothing about it is special except that its end wakes the parent. The
parent learns of that end three ways, in order of cost: the worker that commits the
child's last transition sends the parent a ``join`` message at the parent's current
version; failing that (a crash after the commit), the parent's 15-minute heartbeat
reads the child (one strongly consistent get); and the sweeper heals a lost heartbeat.
"""

from __future__ import annotations

from chalicelib import engine
from chalicelib.errors import InsideFlowError
from chalicelib.queue import WorkMessage
from chalicelib.runtime.observability import logger
from chalicelib.runtime.services import Services
from chalicelib.runtime.starter import start_run

__all__ = ["start_child", "child_event", "notify_parent"]


def start_child(services: Services, parent: engine.RunState, request: engine.SubflowRequest) -> engine.Event:
    """Start the child on the child flow's current version; a redelivery finds the child it started before.

    A child that cannot start (input rejected by its schema) fails the state with a non-retryable error.
    """
    where = f"{parent.branch}:" if parent.branch else ""
    started_by = engine.StartedBy(source="subflow", identity=parent.run_id, delivery_id=request.run_id,
                                  trigger=f"{where}{request.state}", parent=parent.run_id,
                                  parent_branch=parent.branch)
    try:
        result = start_run(services, request.flow, request.input, run_id=request.run_id, started_by=started_by)
    except InsideFlowError as exc:
        if exc.status >= 500:
            raise  # the store or queue is unavailable: let the message be retried
        return engine.ActionFailed(error=type(exc).__name__, cause=str(exc), retryable=False)
    child = result.stored.run
    return engine.ChildStarted(run_id=child.run_id, flow=child.flow, version=child.flow_version)


def child_event(services: Services, parent: engine.RunState) -> engine.Event:
    """``ChildFinished`` once the child has ended, else ``Resume`` (keep waiting)."""
    child = services.repository.get(parent.child_run) if parent.child_run else None
    if child is None or not child.run.status.finished:
        return engine.Resume()
    run = child.run
    succeeded = run.status is engine.RunStatus.SUCCEEDED
    return engine.ChildFinished(run_id=run.run_id, succeeded=succeeded, output=run.context if succeeded else None,
                                error=None if succeeded else run.error)


def notify_parent(services: Services, child: engine.RunState) -> None:
    """After a child's final commit: send its parent a ``join`` message if the parent still waits for it."""
    started_by = child.started_by
    if child.branch is not None or started_by.source != "subflow" or started_by.parent is None:
        return
    parent = services.repository.get(started_by.parent, started_by.parent_branch)
    if parent is None or parent.run.child_run != child.run_id or parent.run.status.finished:
        return  # the parent moved on (timed out, was cancelled) or never recorded the child; its heartbeat copes
    logger.debug("waking the parent of a finished child", extra={"run_id": parent.run.run_id,
                                                                  "child_run_id": child.run_id})
    services.queue.send(WorkMessage(run_id=started_by.parent, seq=parent.version, branch=started_by.parent_branch,
                                    kind=engine.WorkKind.JOIN), 0)
