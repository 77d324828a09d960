#!/usr/bin/env python3
"""The read API while rastrod ingests: latency of every route with concurrent readers, and what the readers cost
the stream. `make bench-readers` runs it on the release build and writes the table into docs/performance.md.

  1. `rastro generate --clean` BASE + STREAM distinct scans (seed 42); `rastro import` the first BASE into a store
     (10 M by default) and keep it as a template.
  2. For each pair (PAIRS, alternating which goes first): a copy of the template, rastrod, and `rastro send` of the
     other STREAM scans (binary, 4 connections, durable acks) — once alone, once with READERS readers asking the
     routes round-robin back to back (each its own analyst token, keep-alive connections) until the stream ends.
  3. Reports the stream's rate both ways and the p50/p99/max latency of each route, and writes docs/performance.md's
     `readers` section.
"""
import argparse
import http.client
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "Benchmarks"))
from benchlib import log, percentile, publish, wait_port  # noqa: E402
BIN = ROOT / ".build" / "release"




def routes(first_day, item):
    """The questions readers ask: every report route with the dashboard's parameters, over the whole store."""
    return [
        ("productivity", "/v1/productivity?by=messenger&format=json"),
        ("productivity by day", "/v1/productivity?by=work_center&bucket=day&format=json"),
        ("compare", f"/v1/compare?by=work_center&from={first_day}&to={next_day(first_day, 7)}&format=json"),
        ("durations", "/v1/durations?from_event=picked_up&to_event=delivered&by=work_center&format=json"),
        ("returns", "/v1/returns?by=reason&format=json"),
        ("states", "/v1/states?format=json"),
        ("overdue", "/v1/overdue?event=out_for_delivery&older_than=24h&format=json"),
        ("trace", f"/v1/items/{urllib.parse.quote(item, safe='')}?format=json"),
        ("info", "/v1/info?format=json"),
        ("export, one day", f"/v1/export?from={first_day}&to={next_day(first_day, 1)}"),
    ]


def next_day(day, days):
    import datetime
    return (datetime.date.fromisoformat(day) + datetime.timedelta(days=days)).isoformat()


DASHBOARD = [
    "/v1/productivity?by=messenger&format=json",
    "/v1/productivity?bucket=day&by=work_center&format=json",
    "/v1/states?format=json",
    "/v1/durations?by=work_center&from_event=picked_up&to_event=delivered&format=json",
    "/v1/returns?by=reason&format=json",
    "/v1/overdue?event=out_for_delivery&older_than=24h&format=json",
]


def dashboard_load(port, token, runs=7):
    """Seconds for the dashboard's six questions asked at once, as the page asks them (median of `runs`)."""
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        def ask(path):
            connection = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
            connection.request("GET", path, headers={"Authorization": f"Bearer {token}"})
            response = connection.getresponse()
            response.read()
            assert response.status == 200, (path, response.status)
            connection.close()
        threads = [threading.Thread(target=ask, args=(path,)) for path in DASHBOARD]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        times.append(time.perf_counter() - started)
    return statistics.median(times), max(times)


class Reader(threading.Thread):
    def __init__(self, port, token, questions, offset, stop):
        super().__init__(daemon=True)
        self.port, self.token, self.questions, self.offset, self.stop = port, token, questions, offset, stop
        self.latencies = {name: [] for name, _ in questions}
        self.failures = 0
        self.refused = 0

    def run(self):
        # The readers stand for analysts on other machines: this thread (Linux: a thread's own nice) yields the cores
        # to rastrod and rastro send, so that what is measured is the server's work for them, not this client's.
        os.setpriority(os.PRIO_PROCESS, threading.get_native_id(), 19)
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=120)
        headers = {"Authorization": f"Bearer {self.token}"}
        index = self.offset
        while not self.stop.is_set():
            name, path = self.questions[index % len(self.questions)]
            index += 1
            started = time.perf_counter()
            try:
                connection.request("GET", path, headers=headers)
                response = connection.getresponse()
                response.read()
                if response.status in (429, 503):
                    # As a client should: wait as long as the server asks (the reads running are at their bound).
                    self.refused += 1
                    time.sleep(float(response.getheader("Retry-After") or "1"))
                    continue
                if response.status != 200:
                    self.failures += 1
                    continue
            except (OSError, http.client.HTTPException):
                self.failures += 1
                connection.close()
                connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=120)
                continue
            self.latencies[name].append(time.perf_counter() - started)
        connection.close()


def run_stream(template, stream_file, stream_rows, readers, questions, work):
    data = work / "data"
    shutil.rmtree(data, ignore_errors=True)
    shutil.copytree(template, data)
    tokens = []
    for kind, count in (("--gateway", 1), ("--analyst", readers)):
        for index in range(count):
            created = subprocess.run([BIN / "rastro", "token", "create", kind, f"bench-{index}", "--data", data],
                                     check=True, capture_output=True, text=True)
            tokens.append(created.stdout.split()[-1])
    gateway, analysts = tokens[0], tokens[1:]
    server = subprocess.Popen([BIN / "rastrod", "--data", data, "--log-level", "error", "--binary-port", "7710",
                               "--csv-port", "7711", "--http-port", "7790",
                               "--reads-per-second", "1000000", "--read-burst", "1000000"])
    try:
        for port in (7710, 7790):
            wait_port(port)
        stop = threading.Event()
        pool = [Reader(7790, analysts[i], questions, i, stop) for i in range(readers)]
        for reader in pool:
            reader.start()
        started = time.perf_counter()
        subprocess.run([BIN / "rastro", "send", stream_file, "--to", "127.0.0.1:7710", "--token", gateway,
                        "--connections", "4", "--batch-size", "5000", "--quiet"], check=True, capture_output=True)
        elapsed = time.perf_counter() - started
        stop.set()
        for reader in pool:
            reader.join()
    finally:
        server.terminate()
        server.wait()
    latencies = {name: [] for name, _ in questions}
    for reader in pool:
        for name, values in reader.latencies.items():
            latencies[name].extend(values)
    return {"rate": stream_rows / elapsed, "seconds": elapsed, "latencies": latencies,
            "failures": sum(reader.failures for reader in pool), "refused": sum(reader.refused for reader in pool)}


def runs(results):
    return ", ".join(f"{result['rate']:,.0f}" for result in results)



def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--base", type=int, default=10_000_000, help="scans in the store before the stream")
    parser.add_argument("--stream", type=int, default=5_000_000, help="scans streamed while the readers ask")
    parser.add_argument("--readers", type=int, default=20)
    parser.add_argument("--pairs", type=int, default=3, help="runs without and with readers")
    parser.add_argument("--work", default=str(ROOT / ".build-bench" / "readers"))
    parser.add_argument("--no-write", action="store_true", help="do not write docs/performance.md")
    arguments = parser.parse_args()
    work = Path(arguments.work)
    work.mkdir(parents=True, exist_ok=True)

    scans = work / f"scans-{arguments.base + arguments.stream}.csv"
    if not scans.exists():
        log(f"generating {arguments.base + arguments.stream:,} distinct scans")
        subprocess.run([BIN / "rastro", "generate", "--scans", str(arguments.base + arguments.stream), "--seed", "42", "--clean",
                        "--out", scans], check=True, capture_output=True)
    base_file, stream_file = work / "base.csv", work / "stream.csv"
    with open(scans) as source, open(base_file, "w") as base, open(stream_file, "w") as stream:
        header = source.readline()
        base.write(header)
        stream.write(header)
        for index, line in enumerate(source):
            (base if index < arguments.base else stream).write(line)
    template = work / "template"
    shutil.rmtree(template, ignore_errors=True)
    log(f"importing {arguments.base:,} scans")
    subprocess.run([BIN / "rastro", "init", "--data", template, "--reasons", "standard"], check=True, capture_output=True)
    subprocess.run([BIN / "rastro", "import", base_file, "--data", template, "--quiet"], check=True, capture_output=True)
    with open(base_file) as base:
        base.readline()
        first = base.readline().split(",")
    item, first_day = first[0], first[2][:10]
    questions = routes(first_day, item)

    # The dashboard's first paint at BASE scans, nothing else running: its six questions at once.
    created = subprocess.run([BIN / "rastro", "token", "create", "--analyst", "page", "--data", template],
                             check=True, capture_output=True, text=True)
    server = subprocess.Popen([BIN / "rastrod", "--data", template, "--log-level", "error", "--binary-port", "7710",
                               "--csv-port", "7711", "--http-port", "7790"])
    try:
        wait_port(7790)
        page_median, page_max = dashboard_load(7790, created.stdout.split()[-1])
    finally:
        server.terminate()
        server.wait()
    log(f"dashboard questions: median {page_median * 1000:.0f} ms, max {page_max * 1000:.0f} ms")

    alone, together = [], []
    for pair in range(arguments.pairs):
        order = [0, arguments.readers] if pair % 2 == 0 else [arguments.readers, 0]
        for readers in order:
            log(f"pair {pair + 1}: streaming {arguments.stream:,} scans with {readers} readers")
            result = run_stream(template, stream_file, arguments.stream, readers, questions, work)
            log(f"  {result['rate']:,.0f} scans/s, {sum(len(v) for v in result['latencies'].values()):,} reads, "
                f"{result['failures']} failed, {result['refused']} refused (busy)")
            (together if readers else alone).append(result)

    rate_alone = statistics.median(r["rate"] for r in alone)
    rate_together = statistics.median(r["rate"] for r in together)
    merged = {name: [] for name, _ in questions}
    for result in together:
        for name, values in result["latencies"].items():
            merged[name].extend(values)
    failures = sum(r["failures"] for r in together)
    refused = sum(r["refused"] for r in together)
    reads = sum(len(v) for v in merged.values())
    seconds = sum(r["seconds"] for r in together)
    lines = [
        f"`make bench-readers` (`Benchmarks/readers/run.py`): a store of {arguments.base:,} scans, then `rastro send` of "
        f"{arguments.stream:,} more (binary, 4 connections, durable acks) while {arguments.readers} readers ask the routes below "
        f"round-robin, back to back, each with its own analyst token over a keep-alive connection (the per-token rate "
        f"limit lifted: this is the worst case, not a dashboard's load). {arguments.pairs} pairs, alternating which goes "
        f"first, on this 2-core machine, where the readers' client (its threads at nice 19, standing for analysts on "
        f"other machines), `rastro send` and `rastrod` share the cores.",
        "",
        f"Stream alone: {rate_alone:,.0f} scans/s (runs {runs(alone)}); with readers: "
        f"{rate_together:,.0f} scans/s (runs {runs(together)}) = "
        f"{100 * (rate_together / rate_alone - 1):+.1f} %. Reads answered: {reads:,} ({reads / seconds:,.0f}/s), failed: {failures}; "
        f"refused as busy (503, more than `--concurrent-reads` 16 at once; the reader waits `Retry-After` and asks "
        f"again): {refused:,}.",
        "",
        f"The dashboard's six questions asked at once, as the page asks them, at {arguments.base:,} scans and nothing "
        f"else running: {page_median * 1000:.0f} ms (median of 7; slowest {page_max * 1000:.0f} ms).",
        "",
        "| route | reads | p50 ms | p99 ms | max ms |",
        "|---|---:|---:|---:|---:|",
    ]
    for name, path in questions:
        values = merged[name]
        lines.append(f"| `{path.split('?')[0]}` {name} | {len(values):,} | {1000 * percentile(values, 0.5):.1f} | "
                     f"{1000 * percentile(values, 0.99):.1f} | {1000 * max(values or [float('nan')]):.1f} |")
    publish(lines, not arguments.no_write, "readers", "## 10. Reads while streaming")


if __name__ == "__main__":
    main()
