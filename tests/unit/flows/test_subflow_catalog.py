"""Checks that need the whole catalog: subflow targets, their params, and cycles between flows."""

from __future__ import annotations

from pathlib import Path

import pytest

from chalicelib.flows import DefinitionError, FlowCatalog


def write(folder: Path, name: str, text: str) -> None:
    (folder / f"{name}.yaml").write_text(text, encoding="utf-8")


def calling(name: str, target: str, params: str = "{}") -> str:
    return (f"name: {name}\nstart: call\nstates:\n"
            f"  call: {{type: subflow, flow: {target}, params: {params}, next: done}}\n"
            f"  done: {{type: succeed}}\n")


LEAF = "name: leaf\nparams: {channel: email}\nstart: done\nstates:\n  done: {type: succeed}\n"


def test_a_subflow_to_a_known_flow_with_declared_params_loads(tmp_path):
    write(tmp_path, "a", calling("a", "leaf", "{channel: sms}"))
    write(tmp_path, "leaf", LEAF)
    catalog = FlowCatalog.from_directory(tmp_path)
    assert catalog.get("leaf").definition.params == {"channel": "email"}


def test_an_unknown_subflow_flow_names_file_state_and_field(tmp_path):
    write(tmp_path, "a", calling("a", "nowhere"))
    with pytest.raises(DefinitionError) as caught:
        FlowCatalog.from_directory(tmp_path)
    assert caught.value.file.endswith("a.yaml") and caught.value.state == "call"
    assert "field 'flow'" in str(caught.value) and "unknown flow 'nowhere'" in str(caught.value)


def test_an_undeclared_param_is_a_load_error(tmp_path):
    write(tmp_path, "a", calling("a", "leaf", "{colour: red}"))
    write(tmp_path, "leaf", LEAF)
    with pytest.raises(DefinitionError, match=r"field 'params.colour'.*declares no param 'colour'"):
        FlowCatalog.from_directory(tmp_path)


@pytest.mark.parametrize("flows", [
    {"a": "b", "b": "a"},
    {"a": "a"},
    {"a": "b", "b": "c", "c": "a"},
])
def test_a_subflow_cycle_is_a_load_error(tmp_path, flows):
    for name, target in flows.items():
        write(tmp_path, name, calling(name, target))
    with pytest.raises(DefinitionError, match=r"subflow cycle: a -> .*a"):
        FlowCatalog.from_directory(tmp_path)


def test_two_flows_calling_one_template_are_not_a_cycle(tmp_path):
    write(tmp_path, "a", calling("a", "leaf"))
    write(tmp_path, "b", calling("b", "leaf"))
    write(tmp_path, "c", calling("c", "a"))
    write(tmp_path, "leaf", LEAF)
    assert len(FlowCatalog.from_directory(tmp_path)) == 4
