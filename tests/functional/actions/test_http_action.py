"""The http action against a real server on 127.0.0.1, driven by a flow through the worker handler."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest


class Endpoint(BaseHTTPRequestHandler):
    received: list[dict[str, Any]] = []

    def do_POST(self) -> None:  # noqa: N802 - the http.server API
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        Endpoint.received.append({"path": self.path, "body": body, "key": self.headers["Idempotency-Key"]})
        if self.path == "/slow":
            threading.Event().wait(2)
        status = 503 if self.path == "/down" else 201
        payload = json.dumps({"accepted": body["id"]}).encode()
        try:
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)
        except BrokenPipeError:
            pass  # the client gave up first: that is the timeout test

    def log_message(self, *args: Any) -> None:
        pass


@pytest.fixture
def server() -> Iterator[str]:
    Endpoint.received = []
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Endpoint)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}"
    httpd.shutdown()


@pytest.fixture
def definitions_dir(tmp_path: Path, server: str) -> Path:
    for path, timeout in (("/orders", 5), ("/down", 5), ("/slow", 1)):
        name = "call" + path.replace("/", "-")
        (tmp_path / f"{name}.yaml").write_text(f"""
name: {name}
start: call
states:
  call:
    type: task
    action: http
    timeout: {timeout}s
    with: {{url: "{server}{path}", method: POST, body: "{{id: id, amount: amount}}"}}
    result: response
    next: done
  done: {{type: succeed}}
""")
    return tmp_path


def run_flow(stack: Any, client: Any, flow: str) -> Any:
    from chalicelib.runtime.starter import start_run

    started = start_run(stack.services, flow, {"id": "A-1", "amount": 3, "noise": "x"})
    stack.driver.drain(lambda event: client.lambda_.invoke("process_work", event))
    return stack.services.repository.get(started.stored.run.run_id).run


def test_the_response_lands_in_the_context_and_the_call_carries_an_idempotency_key(stack, client):
    run = run_flow(stack, client, "call-orders")
    assert run.status.value == "SUCCEEDED"
    assert run.context["response"] == {"status": 201, "body": {"accepted": "A-1"}}
    assert Endpoint.received == [{"path": "/orders", "body": {"id": "A-1", "amount": 3},
                                  "key": f"{run.run_id}:call:1"}]


def test_a_5xx_answer_fails_the_run_with_http_error(stack, client):
    run = run_flow(stack, client, "call-down")
    assert run.status.value == "FAILED"
    assert run.error.error == "HttpError" and "503" in run.error.cause and run.error.state == "call"


def test_no_answer_within_the_state_timeout_fails_with_timeout(stack, client):
    run = run_flow(stack, client, "call-slow")
    assert run.status.value == "FAILED"
    assert run.error.error == "Timeout"
