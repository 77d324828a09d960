#!/usr/bin/env python3
"""The read API against its OpenAPI document, by schemathesis (PyPI) against a running rastrod.

Starts rastrod over the demo data with a gateway token and runs `schemathesis run` over the document the server
serves at /v1/openapi.json: every documented route and parameter, valid and invalid values, answers that conform to
the document (status codes, content types, schemas), invalid input refused with 4xx, no 5xx, requests without the
token refused, undocumented methods refused. ReadAPITests checks the other direction (every route the server
registers is in the document, which is generated from the routes' own parameter specs).

Usage: schema_test.py BIN_DIR SCHEMATHESIS   (exit status: schemathesis's)
"""
import os
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def main():
    # Absolute: schemathesis runs in the run's own directory.
    binaries, schemathesis = os.path.abspath(sys.argv[1]), os.path.abspath(sys.argv[2])
    rastro, rastrod = os.path.join(binaries, "rastro"), os.path.join(binaries, "rastrod")
    work = tempfile.mkdtemp(prefix="rastro-schema-")
    # The demo data: the document's example item (GU0001000161) is one of its items.
    data, scans = os.path.join(work, "data"), os.path.join(ROOT, "data", "sample-scans.csv")
    subprocess.run([rastro, "init", "--data", data, "--reasons", "standard"], check=True, stdout=subprocess.DEVNULL)
    subprocess.run([rastro, "import", scans, "--data", data, "--quiet"], check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    # A gateway token: it may read every report and post scans, so every operation is reached.
    created = subprocess.run([rastro, "token", "create", "--gateway", "schemathesis", "--data", data], check=True, capture_output=True, text=True)
    token = created.stdout.split()[-1]
    ports = [free_port() for _ in range(3)]
    # The per-token read rate and the per-address failed-login throttle are raised: schemathesis asks thousands of
    # questions a minute, an analyst a few, and its check that requests without a token are refused would otherwise
    # have its address throttled for the rest of the minute.
    server = subprocess.Popen([rastrod, "--data", data, "--binary-port", str(ports[0]), "--csv-port", str(ports[1]),
                               "--http-port", str(ports[2]), "--reads-per-second", "100000", "--read-burst", "100000",
                               "--failed-auth-per-minute", "100000", "--log-level", "error"])
    base = f"http://127.0.0.1:{ports[2]}"
    try:
        for _ in range(400):
            try:
                urllib.request.urlopen(base + "/healthz")
                break
            except OSError:
                time.sleep(0.05)
        command = [
            schemathesis, "run", base + "/v1/openapi.json",
            "--header", f"Authorization: Bearer {token}",
            # Every check but positive_data_acceptance ("a request the schema allows gets 2xx"): the reports have
            # rules across parameters (to after from, a window of at most 400 days, two different events) and
            # calendar rules (no 2026-02-30) that JSON Schema cannot state, so the schema allows requests the server
            # rightly refuses with a problem naming the parameter. ReadAPITests checks valid requests instead:
            # each report's answer byte for byte against the CLI's.
            "--checks", "all", "--exclude-checks", "positive_data_acceptance",
            "--max-examples", os.environ.get("SCHEMA_EXAMPLES", "40"),
            "--seed", "20261207",
            "--workers", "2",
            "--request-timeout", "30",
            "--report", "junit", "--report-dir", os.path.join(work, "report"),
        ]
        # In the run's directory: schemathesis keeps a cache where it runs.
        result = subprocess.run(command, env=dict(os.environ, NO_COLOR="1"), cwd=work)
    finally:
        server.terminate()
        server.wait()
    if result.returncode != 0:
        print(f"schemathesis found problems (the run's files are in {work})", flush=True)
    sys.exit(result.returncode)


if __name__ == "__main__":
    main()
