#!/usr/bin/env python3
"""The watched inbox at 10 M scans: `make bench-inbox` runs it on the release build and writes docs/performance.md's
`inbox` section.

  1. `rastro generate --clean` SCANS distinct scans (seed 42), or --source FILE.
  2. PAIRS alternating pairs into fresh data directories: `rastro import FILE` against `rastrod --inbox DIR` with the
     file renamed in (a hard link, so no copy is timed). The inbox's time is the `seconds` of its NAME.result.json
     (from taking the file to its last commit); the wall time from the rename to the result file is given beside it.
  3. A handheld on the CSV line protocol sends 20 rows every 200 ms, with the server idle and while the inbox loads
     the file: the time from its rows' last byte to their `OK` (a durable commit), p50 / p99 / max.
"""
import argparse
import json
import os
import shutil
import socket
import statistics
import subprocess
import sys
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "Benchmarks"))
from benchlib import log, percentile, publish, run, wait_port  # noqa: E402
BIN = ROOT / ".build" / "release"
PORTS = {"binary": 7730, "csv": 7731, "http": 7792}



def start_server(data, inbox):
    arguments = [BIN / "rastrod", "--data", data, "--log-level", "error", "--inbox", inbox,
                 "--binary-port", PORTS["binary"], "--csv-port", PORTS["csv"], "--http-port", PORTS["http"]]
    return subprocess.Popen([str(a) for a in arguments])


def import_run(source, data):
    shutil.rmtree(data, ignore_errors=True)
    started = time.perf_counter()
    run([BIN / "rastro", "import", source, "--data", data, "--quiet"])
    return time.perf_counter() - started


def drop(source, inbox, name):
    """Hard-links `source` into the inbox under a dot-name and renames it in, as a sender does."""
    hidden = inbox / f".{name}.part"
    os.link(source, hidden)
    os.rename(hidden, inbox / name)
    return time.perf_counter()


def wait_result(inbox, name, started):
    result = inbox / "done" / f"{name}.result.json"
    while not result.exists():
        time.sleep(0.05)
    return json.loads(result.read_text()), time.perf_counter() - started


class Handheld:
    """Sends `rows` 20 at a time every 200 ms over the CSV line protocol; records each batch's time to its OK."""

    def __init__(self, token, rows):
        self.token, self.rows = token, rows
        self.latencies = []
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self.run, daemon=True)

    def run(self):
        connection = socket.create_connection(("127.0.0.1", PORTS["csv"]))
        reader = connection.makefile("rb")
        connection.sendall(f"AUTH {self.token}\ntracking_id,event,scanned_at,messenger,work_center,device,seq,reason,lat,lon\n".encode())
        position = 0
        while not self.stop.is_set() and position + 20 <= len(self.rows):
            payload = "".join(self.rows[position:position + 20]).encode()
            position += 20
            sent = time.perf_counter()
            connection.sendall(payload)
            while True:
                line = reader.readline()
                if not line or line.startswith(b"OK"):
                    break
            self.latencies.append(time.perf_counter() - sent)
            time.sleep(0.2)
        connection.close()



def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--scans", type=int, default=10_000_000)
    parser.add_argument("--source", help="a CSV file to load instead of generating one")
    parser.add_argument("--pairs", type=int, default=2)
    parser.add_argument("--work", default=str(ROOT / ".build-bench" / "inbox"))
    parser.add_argument("--no-write", action="store_true")
    arguments = parser.parse_args()
    work = Path(arguments.work)
    work.mkdir(parents=True, exist_ok=True)
    source = Path(arguments.source) if arguments.source else work / f"scans-{arguments.scans}.csv"
    if not source.exists():
        log(f"generating {arguments.scans:,} distinct scans")
        run([BIN / "rastro", "generate", "--scans", arguments.scans, "--seed", "42", "--clean", "--out", source])
    # The hard links must be on the inbox's file system.
    linked = work / "source.csv"
    linked.unlink(missing_ok=True)
    try:
        os.link(source, linked)
    except OSError:
        shutil.copyfile(source, linked)
    with open(linked) as file:
        rows = sum(1 for _ in file) - 1
    handheld_rows = [f"HB{index:08d},picked_up,2026-09-01T08:00:00-05:00,MSG-HB,BOG-NOR,HH-BENCH,{index + 1},,,\n"
                     for index in range(60_000)]

    data = work / "data"
    inbox = work / "inbox"
    imports, inboxes, inbox_walls = [], [], []
    for pair in range(arguments.pairs):
        for kind in (["import", "inbox"] if pair % 2 == 0 else ["inbox", "import"]):
            if kind == "import":
                seconds = import_run(linked, data)
                imports.append(rows / seconds)
                log(f"pair {pair + 1}: rastro import {seconds:.2f} s = {rows / seconds:,.0f} rows/s")
                continue
            shutil.rmtree(data, ignore_errors=True)
            shutil.rmtree(inbox, ignore_errors=True)
            inbox.mkdir()
            server = start_server(data, inbox)
            try:
                wait_port(PORTS["binary"])
                started = drop(linked, inbox, "day.csv")
                result, wall = wait_result(inbox, "day.csv", started)
            finally:
                server.terminate()
                server.wait()
            assert result["rows"] == rows, result
            inboxes.append(rows / result["seconds"])
            inbox_walls.append(rows / wall)
            log(f"pair {pair + 1}: inbox {result['seconds']:.2f} s = {rows / result['seconds']:,.0f} rows/s "
                f"(rename to result: {wall:.2f} s)")

    latencies = {}
    for loaded in (False, True):
        shutil.rmtree(data, ignore_errors=True)
        shutil.rmtree(inbox, ignore_errors=True)
        inbox.mkdir()
        run([BIN / "rastro", "init", "--data", data])
        token = run([BIN / "rastro", "token", "create", "--gateway", "bench", "--data", data]).stdout.split()[-1]
        server = start_server(data, inbox)
        try:
            wait_port(PORTS["csv"])
            handheld = Handheld(token, handheld_rows)
            handheld.thread.start()
            if loaded:
                time.sleep(1)
                started = drop(linked, inbox, "day.csv")
                wait_result(inbox, "day.csv", started)
            else:
                time.sleep(8)
            handheld.stop.set()
            handheld.thread.join()
        finally:
            server.terminate()
            server.wait()
        latencies[loaded] = handheld.latencies
        log(f"handheld {'while the inbox loads' if loaded else 'alone'}: {len(handheld.latencies)} batches, "
            f"p50 {1000 * percentile(handheld.latencies, 0.5):.0f} ms, p99 {1000 * percentile(handheld.latencies, 0.99):.0f} ms, "
            f"max {1000 * max(handheld.latencies):.0f} ms")

    def ms(values):
        return (f"{1000 * percentile(values, 0.5):.0f} / {1000 * percentile(values, 0.99):.0f} / "
                f"{1000 * max(values):.0f} ms ({len(values)} batches)")

    import_rate, inbox_rate = statistics.median(imports), statistics.median(inboxes)
    lines = [
        f"`make bench-inbox` (`Benchmarks/inbox/run.py`), this 2-core machine: one file of {rows:,} distinct scans "
        f"({linked.stat().st_size / 1e6:,.0f} MB) into a fresh data directory.",
        "",
        "| | rows/s (median) | runs |",
        "|---|---:|---|",
        f"| `rastro import FILE` | {import_rate:,.0f} | {', '.join(f'{r:,.0f}' for r in imports)} |",
        f"| `rastrod --inbox`: taken to last commit | {inbox_rate:,.0f} ({100 * (inbox_rate / import_rate - 1):+.1f} %) | "
        f"{', '.join(f'{r:,.0f}' for r in inboxes)} |",
        f"| `rastrod --inbox`: rename to result file | {statistics.median(inbox_walls):,.0f} | "
        f"{', '.join(f'{r:,.0f}' for r in inbox_walls)} |",
        "",
        "A handheld on the CSV line protocol, 20 rows every 200 ms, time to its durable `OK` (p50 / p99 / max): server "
        f"idle {ms(latencies[False])}; while the inbox loads the file {ms(latencies[True])}.",
    ]
    publish(lines, not arguments.no_write, "inbox", "## 12. The watched inbox")


if __name__ == "__main__":
    main()
