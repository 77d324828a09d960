#!/usr/bin/env python3
"""A fleet of handhelds in small batches: `make bench-fleet` runs it on the release build and writes
docs/performance.md's `fleet` section.

  1. A fresh data directory and `rastrod` allowing every connection from loopback.
  2. `rastro fleet` at each load (handhelds × batch every seconds, for SECONDS), one after another on the same server:
     its summary (scans/s, ack latency percentiles, errors, its own CPU), the server's CPU per scan over the run
     (from /proc), and its resident memory with the fleet connected.
  3. One fat stream for reference: `rastro send` of the same number of scans, 4 connections, 5,000-scan batches;
     the server's CPU per scan.
"""
import argparse
import os
import re
import shutil
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "Benchmarks"))
from benchlib import log, publish, run, wait_port  # noqa: E402
BIN = ROOT / ".build" / "release"
PORTS = {"binary": 7760, "csv": 7761, "http": 7762}
TICKS = os.sysconf("SC_CLK_TCK")


def cpu_seconds(pid):
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / TICKS


def rss_kb(pid):
    match = re.search(r"VmRSS:\s+(\d+) kB", Path(f"/proc/{pid}/status").read_text())
    return int(match.group(1))


def start_server(data):
    arguments = [BIN / "rastrod", "--data", data, "--log-level", "error",
                 "--binary-port", PORTS["binary"], "--csv-port", PORTS["csv"], "--http-port", PORTS["http"],
                 "--max-connections", 30000, "--max-connections-per-address", 30000,
                 "--max-unauthenticated-per-address", 30000]
    server = subprocess.Popen([str(a) for a in arguments])
    wait_port(PORTS["binary"])
    return server


def fleet(server, token, handhelds, batch, every, seconds):
    before_cpu, rss_before = cpu_seconds(server.pid), rss_kb(server.pid)
    process = subprocess.Popen([str(BIN / "rastro"), "fleet", "--to", f"127.0.0.1:{PORTS['binary']}", "--token", token,
                                "--handhelds", str(handhelds), "--batch", str(batch), "--every", str(every),
                                "--seconds", str(seconds)], stdout=subprocess.PIPE, text=True)
    # The server's memory with every handheld connected, near the end of the run.
    time.sleep(max(0.0, seconds - 2))
    rss_during = rss_kb(server.pid)
    output, _ = process.communicate()
    if process.returncode != 0:
        raise SystemExit(f"rastro fleet failed: {output}")
    cpu = cpu_seconds(server.pid) - before_cpu
    scans = int(re.search(r"^scans (\d+)", output, re.M).group(1))
    summary = output.strip().splitlines()[-1]
    generator_cpu = re.search(r"generator CPU ([\d.]+) s \((\d+) %", output)
    log(output)
    return {"handhelds": handhelds, "batch": batch, "every": every, "scans": scans, "summary": summary,
            "server_cpu_us": 1e6 * cpu / max(scans, 1), "rss_before": rss_before, "rss_during": rss_during,
            "generator_cpu": float(generator_cpu.group(1)), "generator_share": int(generator_cpu.group(2)),
            "output": output}


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seconds", type=float, default=30)
    parser.add_argument("--loads", default="1000x20/2,5000x20/4,10000x20/4,10000x20/2",
                        help="handhelds x batch / every seconds, comma-separated")
    parser.add_argument("--work", default=str(ROOT / ".build-bench" / "fleet"))
    parser.add_argument("--no-write", action="store_true")
    arguments = parser.parse_args()
    work = Path(arguments.work)
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir(parents=True)
    data = work / "data"
    run([BIN / "rastro", "init", "--data", data])
    token = re.search(r"rst_[0-9a-f]+", run([BIN / "rastro", "token", "create", "--gateway", "fleet", "--data", data]).stdout).group(0)
    results = []
    server = start_server(data)
    try:
        for load in arguments.loads.split(","):
            handhelds, rest = load.split("x")
            batch, every = rest.split("/")
            results.append(fleet(server, token, int(handhelds), int(batch), float(every), arguments.seconds))
    finally:
        server.terminate()
        server.wait()

    # The fat stream: the same server, a file of generated scans sent by `rastro send` with its bench settings.
    stream = work / "stream.csv"
    run([BIN / "rastro", "generate", "--scans", 1_000_000, "--seed", 7, "--clean", "--out", stream])
    server = start_server(data)
    try:
        before = cpu_seconds(server.pid)
        started = time.perf_counter()
        run([BIN / "rastro", "send", stream, "--to", f"127.0.0.1:{PORTS['binary']}", "--token", token,
             "--connections", 4, "--batch-size", 5000, "--quiet"])
        elapsed = time.perf_counter() - started
        fat_cpu_us = 1e6 * (cpu_seconds(server.pid) - before) / 1_000_000
    finally:
        server.terminate()
        server.wait()
    log(f"fat stream: {1_000_000 / elapsed:,.0f} scans/s, server {fat_cpu_us:.2f} µs CPU per scan")

    lines = [
        f"`make bench-fleet` (`Benchmarks/fleet/run.py`), `rastro fleet` and `rastrod` on the same 2 cores, "
        f"{arguments.seconds:.0f} s per load, one server for every load in turn (its store grows through them):",
        "",
        "| load | `rastro fleet` summary | server CPU per scan | server RSS with the fleet connected | generator CPU |",
        "|---|---|---:|---:|---:|",
    ]
    for result in results:
        per_connection = (result["rss_during"] - result["rss_before"]) / result["handhelds"]
        lines.append(
            f"| {result['handhelds']:,} × {result['batch']} every {result['every']:g} s | {result['summary']} | "
            f"{result['server_cpu_us']:.1f} µs ({result['server_cpu_us'] / fat_cpu_us:.1f}× the fat stream's) | "
            f"{result['rss_during'] / 1024:,.0f} MB ({per_connection:+.0f} KB per connection over the idle server) | "
            f"{result['generator_cpu']:.1f} s ({result['generator_share']} % of one core) |")
    lines += [
        "",
        f"Fat stream for reference (`rastro send`, 4 connections, 5,000-scan batches, 1,000,000 scans): "
        f"{1_000_000 / elapsed:,.0f} scans/s, server {fat_cpu_us:.2f} µs CPU per scan.",
    ]
    publish(lines, not arguments.no_write, "fleet", "## 13. A fleet of handhelds")


if __name__ == "__main__":
    main()
