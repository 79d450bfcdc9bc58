"""The set of flows a deployment ships, read from its definitions folder."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from pathlib import Path

from chalicelib.flows.errors import DefinitionError, FlowNotFound
from chalicelib.flows.loader import SUFFIXES, ActionCheck, Flow, load_flow_file
from chalicelib.flows.subflows import check_subflows

__all__ = ["FlowCatalog", "definition_files"]


def definition_files(paths: list[Path]) -> list[Path]:
    """Definition files under the given files or folders, in a stable order."""
    found: list[Path] = []
    for path in paths:
        if path.is_dir():
            found.extend(sorted(p for p in path.rglob("*") if p.suffix in SUFFIXES and p.is_file()))
        else:
            found.append(path)
    return found


class FlowCatalog:
    def __init__(self, flows: Mapping[str, Flow]) -> None:
        self._flows = dict(flows)

    @classmethod
    def from_directory(cls, directory: Path, actions: Mapping[str, ActionCheck] | None = None) -> FlowCatalog:
        flows: dict[str, Flow] = {}
        for path in definition_files([directory]):
            flow = load_flow_file(path, actions)
            if flow.name in flows:
                raise DefinitionError(
                    str(path), f"flow name '{flow.name}' is also used by {flows[flow.name].source}", field="name"
                )
            flows[flow.name] = flow
        check_subflows(flows)
        return cls(flows)

    def get(self, name: str) -> Flow:
        try:
            return self._flows[name]
        except KeyError:
            raise FlowNotFound(f"no flow named '{name}'") from None

    def __iter__(self) -> Iterator[Flow]:
        return iter(sorted(self._flows.values(), key=lambda f: f.name))

    def __len__(self) -> int:
        return len(self._flows)
