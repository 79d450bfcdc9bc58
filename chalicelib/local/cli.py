"""``flowctl``: validate definitions, run a flow to completion locally, or serve the API on 127.0.0.1."""

from __future__ import annotations

import argparse
import json
import sys
from datetime import datetime
from pathlib import Path
from typing import Any

from chalicelib.errors import InsideFlowError
from chalicelib.flows import DefinitionError, definition_files, load_flow_file
from chalicelib.flows.subflows import check_subflows

__all__ = ["main"]

REPO_ROOT = Path(__file__).resolve().parents[2]


def _actions() -> dict[str, Any]:
    from chalicelib.actions import default_registry

    return default_registry().checks()


def cmd_validate(args: argparse.Namespace) -> int:
    paths = [Path(p) for p in args.paths] or [REPO_ROOT / "definitions"]
    files = definition_files(paths)
    if not files:
        print("no definition files found", file=sys.stderr)
        return 1
    checks = _actions()
    failures = 0
    loaded: dict[str, Any] = {}
    for path in files:
        try:
            flow = load_flow_file(path, checks)
        except DefinitionError as exc:
            failures += 1
            print(f"FAIL {exc}")
        else:
            loaded.setdefault(flow.name, flow)
            print(f"ok   {path}  {flow.name}@{flow.version}  ({len(flow.definition.states)} states)")
    try:
        check_subflows(loaded)  # subflow targets, their params and cycles need every flow loaded
    except DefinitionError as exc:
        failures += 1
        print(f"FAIL {exc}")
    print(f"{len(files) - failures} valid, {failures} invalid")
    return 1 if failures else 0


def format_duration(ms: int | None) -> str:
    if ms is None:
        return "-"
    if ms < 1000:
        return f"{ms}ms"
    seconds = ms // 1000
    days, rest = divmod(seconds, 86400)
    hours, rest = divmod(rest, 3600)
    minutes, seconds = divmod(rest, 60)
    parts = [f"{v}{u}" for v, u in ((days, "d"), (hours, "h"), (minutes, "m"), (seconds, "s")) if v]
    return " ".join(parts) or "0s"


def print_run(view: dict[str, Any], real_seconds: float, report: Any) -> None:
    print(f"run {view['run_id']}  flow {view['flow']}@{view['flow_version']}  -> {view['status']}")
    print(f"{'step':<24}{'status':<11}{'started (virtual)':<22}{'duration':>14}")
    for step in view["timeline"]:
        started: datetime = step["started_at"]
        print(f"{step['state']:<24}{step['status']:<11}{started.strftime('%Y-%m-%d %H:%M:%S'):<22}"
              f"{format_duration(step['duration_ms']):>14}")
        if step["error"]:
            print(f"{'':<24}error {step['error']['error']}: {step['error']['cause']}")
    total = view["finished_at"] - view["started_at"] if view["finished_at"] else None
    skipped = f", {report.clock_jumps} timer(s) skipped in virtual time" if report.clock_jumps else ""
    print(f"virtual time {format_duration(int(total.total_seconds() * 1000)) if total else '-'}, "
          f"real time {real_seconds * 1000:.0f}ms, {report.messages} work messages{skipped}")
    if view["status"] == "SUCCEEDED":
        print("output: " + json.dumps(view["context"], separators=(",", ":"), default=str)[:2000])
    elif view["error"]:
        print(f"error: {view['error']['error']}: {view['error']['cause']}")


def cmd_run(args: argparse.Namespace) -> int:
    import time

    from chalicelib.api import operations
    from chalicelib.local.stack import embedded_stack
    from chalicelib.runtime.starter import start_run

    try:
        run_input = json.loads(args.input)
    except json.JSONDecodeError as exc:
        print(f"--input is not valid JSON: {exc}", file=sys.stderr)
        return 2
    app = _import_app()
    with embedded_stack(Path(args.definitions) if args.definitions else None, follow_real_time=True) as stack:
        began = time.perf_counter()
        try:
            result = start_run(stack.services, args.flow, run_input)
        except InsideFlowError as exc:
            print(f"{exc.code}: {exc.message}", file=sys.stderr)
            return 2
        report = stack.driver.drain(lambda event: app.process_work(event, None))
        _, view, _ = operations.describe_run(stack.services, result.stored.run.run_id)
        print_run(view, time.perf_counter() - began, report)
    return 0 if view["status"] == "SUCCEEDED" else 1


def cmd_serve(args: argparse.Namespace) -> int:
    import os

    from chalicelib.local.server import serve

    if args.definitions:  # app.py registers its schedules from this folder when imported
        os.environ["INSIDE_FLOW_DEFINITIONS"] = str(Path(args.definitions).resolve())
    return serve(_import_app(), args.host, args.port, Path(args.definitions) if args.definitions else None,
                 args.webhook_secret)


def _import_app() -> Any:
    if str(REPO_ROOT) not in sys.path:
        sys.path.insert(0, str(REPO_ROOT))
    import app

    return app


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="flowctl", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    validate = sub.add_parser("validate", help="check definition files (default: definitions/)")
    validate.add_argument("paths", nargs="*")
    validate.set_defaults(func=cmd_validate)
    run = sub.add_parser("run", help="run a flow to completion on the embedded stack, skipping waits")
    run.add_argument("flow")
    run.add_argument("--input", default="{}", help="run input as JSON")
    run.add_argument("--definitions", help="folder of definitions (default: definitions/)")
    run.set_defaults(func=cmd_run)
    serve = sub.add_parser("serve", help="serve the HTTP API and a worker on the embedded stack")
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=8000)
    serve.add_argument("--definitions", help="folder of definitions (default: definitions/)")
    serve.add_argument("--webhook-secret", default="local-webhook-secret",
                       help="secret stored in the embedded SSM for every webhook trigger")
    serve.set_defaults(func=cmd_serve)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    return int(args.func(args))


if __name__ == "__main__":
    sys.exit(main())
