"""Which definition a run executes: the version it started with, even after a redeploy."""

from __future__ import annotations

from datetime import datetime

from chalicelib.flows import Flow, FlowCatalog, FlowNotFound, parse_flow
from chalicelib.flows.loader import ActionCheck
from chalicelib.store import RunRepository

__all__ = ["FlowVersions"]


class FlowVersions:
    """The shipped catalog for new runs; published versions in the table for runs pinned to older ones."""

    def __init__(self, catalog: FlowCatalog, repository: RunRepository, actions: dict[str, ActionCheck]) -> None:
        self.catalog = catalog
        self._repository = repository
        self._actions = actions
        self._pinned: dict[tuple[str, str], Flow] = {}
        self._published: set[tuple[str, str]] = set()

    def current(self, name: str) -> Flow:
        return self.catalog.get(name)

    def ensure_published(self, flow: Flow, now: datetime) -> None:
        """Store the definition under its hash once per process, so pinned runs can always find it."""
        key = (flow.name, flow.version)
        if key not in self._published:
            self._repository.publish_definition(flow, now)
            self._published.add(key)

    def pinned(self, name: str, version: str) -> Flow:
        try:
            current = self.catalog.get(name)
        except FlowNotFound:
            current = None
        if current is not None and current.version == version:
            return current
        key = (name, version)
        if key not in self._pinned:
            document = self._repository.get_definition(name, version)
            if document is None:
                raise FlowNotFound(f"flow '{name}' version {version} is neither shipped nor published")
            self._pinned[key] = parse_flow(document, f"published {name}@{version}", self._actions)
        return self._pinned[key]
