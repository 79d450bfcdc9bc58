"""The import-time scan app.py uses to register one handler per scheduled or event-triggered flow."""

from __future__ import annotations

import pytest

from chalicelib.triggers.index import handler_name, trigger_handlers


def test_handlers_are_found_per_trigger_with_stable_names(tmp_path):
    (tmp_path / "a.yaml").write_text(
        "name: nightly-export\ntriggers:\n  - schedule: {cron: '0 2 * * ? *'}\n  - queue: {match: x}\n"
        "  - event: {pattern: {source: [s]}}\n")
    (tmp_path / "b.json").write_text(
        '{"name": "b", "triggers": [{"schedule": {"rate": "5 minutes"}}, {"schedule": {"rate": "1 day"}}]}')
    (tmp_path / "c.yaml").write_text("name: c\nstates: {}\n")
    found = [(h.kind, h.flow, h.index, h.name, h.expression) for h in trigger_handlers(tmp_path)]
    assert found == [
        ("schedule", "nightly-export", 0, "schedule_nightly_export", "cron(0 2 * * ? *)"),
        ("event", "nightly-export", 2, "event_nightly_export", None),
        ("schedule", "b", 0, "schedule_b_0", "rate(5 minutes)"),
        ("schedule", "b", 1, "schedule_b_1", "rate(1 day)"),
    ]


def test_a_bad_expression_fails_the_import_naming_file_and_field(tmp_path):
    (tmp_path / "a.yaml").write_text("name: a\ntriggers:\n  - schedule: {cron: '0 9 * * *'}\n")
    with pytest.raises(ValueError, match=r"a.yaml, field 'triggers\[0\].schedule': a cron expression has 6"):
        trigger_handlers(tmp_path)


def test_long_names_fit_a_lambda_function_name():
    name = handler_name("schedule", "a" * 80, 3, only=False)
    assert len(name) <= 40 and name.startswith("schedule_aaa")
    assert name != handler_name("schedule", "a" * 80, 4, only=False)


def test_a_missing_folder_registers_nothing(tmp_path):
    assert trigger_handlers(tmp_path / "nope") == []
