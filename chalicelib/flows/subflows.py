"""Checks across flows: every ``subflow`` state names a shipped flow, passes only its declared params, and no
flow starts itself through a chain of subflows (A -> B -> A would start children forever).

These need the whole catalog, so they run in :meth:`FlowCatalog.from_directory` after every file has loaded.
"""

from __future__ import annotations

from collections.abc import Mapping

from chalicelib.flows.errors import DefinitionError
from chalicelib.flows.loader import Flow, nested_machines
from chalicelib.flows.models import SubflowState

__all__ = ["check_subflows", "subflow_states"]


def subflow_states(flow: Flow) -> list[tuple[str, SubflowState]]:
    """Every subflow state of a flow, nested ones included, with the name errors give it."""
    return [(prefix + name, state)
            for prefix, machine in nested_machines(flow.definition)
            for name, state in machine.states.items() if isinstance(state, SubflowState)]


def check_subflows(flows: Mapping[str, Flow]) -> None:
    for flow in sorted(flows.values(), key=lambda f: f.name):
        for name, state in subflow_states(flow):
            target = flows.get(state.flow)
            if target is None:
                raise DefinitionError(flow.source, f"unknown flow '{state.flow}' (known: {', '.join(sorted(flows))})",
                                      state=name, field="flow")
            declared = target.definition.params or {}
            for key in state.params:
                if key not in declared:
                    known = ", ".join(sorted(declared)) or "none"
                    raise DefinitionError(flow.source, f"flow '{state.flow}' declares no param '{key}' "
                                          f"(declared: {known})", state=name, field=f"params.{key}")
    for flow in sorted(flows.values(), key=lambda f: f.name):
        _check_cycle(flows, flow)


def _check_cycle(flows: Mapping[str, Flow], root: Flow) -> None:
    """Depth-first from ``root``; a path that comes back to it is reported at the state that starts the path."""
    for name, state in subflow_states(root):
        path = _path_back(flows, state.flow, root.name, [root.name, state.flow], set())
        if path is not None:
            raise DefinitionError(root.source, f"subflow cycle: {' -> '.join(path)}", state=name, field="flow")


def _path_back(flows: Mapping[str, Flow], current: str, root: str, path: list[str], seen: set[str]) -> list[str] | None:
    if current == root:
        return path
    if current in seen:
        return None
    seen.add(current)
    for _, state in subflow_states(flows[current]):
        found = _path_back(flows, state.flow, root, [*path, state.flow], seen)
        if found is not None:
            return found
    return None
