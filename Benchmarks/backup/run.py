#!/usr/bin/env python3
"""Backups at 10 M scans: `make bench-backup` runs it on the release build and writes docs/performance.md's
`backup` section.

  1. `rastro generate --clean` BASE + MORE distinct scans (seed 42); `rastro import` the first BASE into a store.
  2. A full backup, plain and encrypted: time, bytes, rate (MB of store and scans per second); beside the store's
     size and a zstd -3 of `rastro export`.
  3. `rastro import` the next MORE scans (100,000 by default), then an incremental backup: time and bytes.
  4. `rastro backup verify` and `rastro restore` of the newest backup: time and rate.
  5. `rastro send` of STREAM more scans to rastrod, alone and while backups run back to back (PAIRS pairs).
"""
import argparse
import os
import shutil
import statistics
import subprocess
import sys
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "Benchmarks"))
from benchlib import log, publish, run, wait_port  # noqa: E402
BIN = ROOT / ".build" / "release"




def timed(arguments):
    started = time.perf_counter()
    result = run(arguments)
    return time.perf_counter() - started, result.stdout


def directory_bytes(path):
    return sum(f.stat().st_size for f in Path(path).rglob("*") if f.is_file())



def stream(data, stream_file, rows, with_backups, work):
    created = run([BIN / "rastro", "token", "create", "--gateway", "bench", "--data", data])
    token = created.stdout.split()[-1]
    server = subprocess.Popen([BIN / "rastrod", "--data", data, "--log-level", "error", "--binary-port", "7720",
                               "--csv-port", "7721", "--http-port", "7791"])
    stop = threading.Event()
    backups = []

    def back_up():
        target = work / "stream-backups"
        while not stop.is_set():
            shutil.rmtree(target, ignore_errors=True)
            seconds, _ = timed([BIN / "rastro", "backup", "--data", data, "--to", target, "--quiet"])
            backups.append(seconds)

    try:
        wait_port(7720)
        thread = threading.Thread(target=back_up, daemon=True)
        if with_backups:
            thread.start()
        started = time.perf_counter()
        run([BIN / "rastro", "send", stream_file, "--to", "127.0.0.1:7720", "--token", token, "--connections", "4",
             "--batch-size", "5000", "--quiet"])
        elapsed = time.perf_counter() - started
        stop.set()
        if with_backups:
            thread.join()
    finally:
        server.terminate()
        server.wait()
    return rows / elapsed, len(backups)


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--base", type=int, default=10_000_000)
    parser.add_argument("--more", type=int, default=100_000)
    parser.add_argument("--stream", type=int, default=5_000_000)
    parser.add_argument("--pairs", type=int, default=2)
    parser.add_argument("--work", default=str(ROOT / ".build-bench" / "backup"))
    parser.add_argument("--no-write", action="store_true")
    arguments = parser.parse_args()
    work = Path(arguments.work)
    work.mkdir(parents=True, exist_ok=True)
    total = arguments.base + arguments.more + arguments.stream
    scans = work / f"scans-{total}.csv"
    if not scans.exists():
        log(f"generating {total:,} distinct scans")
        run([BIN / "rastro", "generate", "--scans", total, "--seed", "42", "--clean", "--out", scans])
    files = {name: work / f"{name}.csv" for name in ("base", "more", "stream")}
    with open(scans) as source:
        header = source.readline()
        outputs = {name: open(path, "w") for name, path in files.items()}
        for output in outputs.values():
            output.write(header)
        for index, line in enumerate(source):
            name = "base" if index < arguments.base else "more" if index < arguments.base + arguments.more else "stream"
            outputs[name].write(line)
        for output in outputs.values():
            output.close()

    data = work / "data"
    shutil.rmtree(data, ignore_errors=True)
    log(f"importing {arguments.base:,} scans")
    run([BIN / "rastro", "init", "--data", data, "--reasons", "standard"])
    run([BIN / "rastro", "import", files["base"], "--data", data, "--quiet"])
    store_bytes = (data / "data.mdb").stat().st_size

    key = work / "backup.key"
    key.unlink(missing_ok=True)
    run([BIN / "rastro", "backup", "keygen", "--out", key])
    results = {}
    for name, extra in (("plain", []), ("encrypted", ["--key", key])):
        target = work / f"backups-{name}"
        shutil.rmtree(target, ignore_errors=True)
        seconds, _ = timed([BIN / "rastro", "backup", "--data", data, "--to", target, "--quiet"] + extra)
        results[name] = {"full_seconds": seconds, "full_bytes": directory_bytes(target), "target": target, "extra": extra}
        log(f"full backup ({name}): {seconds:.2f} s, {directory_bytes(target):,} bytes")

    log("export | zstd -3")
    export = work / "export.csv"
    run([BIN / "rastro", "export", "--data", data, "--out", export, "--quiet"])
    run(["zstd", "-q", "-f", "-3", export, "-o", str(export) + ".zst"])
    export_zstd_bytes = Path(str(export) + ".zst").stat().st_size
    export.unlink()

    run([BIN / "rastro", "import", files["more"], "--data", data, "--quiet"])
    for name, result in results.items():
        before = directory_bytes(result["target"])
        seconds, _ = timed([BIN / "rastro", "backup", "--data", data, "--to", result["target"], "--quiet"] + result["extra"])
        result["incremental_seconds"] = seconds
        result["incremental_bytes"] = directory_bytes(result["target"]) - before
        seconds, _ = timed([BIN / "rastro", "backup", "verify", "--from", result["target"], "--quiet"] + result["extra"])
        result["verify_seconds"] = seconds
        restored = work / f"restored-{name}"
        shutil.rmtree(restored, ignore_errors=True)
        seconds, _ = timed([BIN / "rastro", "restore", "--from", result["target"], "--data", restored, "--quiet"] + result["extra"])
        result["restore_seconds"] = seconds
        shutil.rmtree(restored, ignore_errors=True)
        log(f"{name}: incremental {result['incremental_seconds']:.2f} s {result['incremental_bytes']:,} bytes, "
            f"verify {result['verify_seconds']:.2f} s, restore {seconds:.2f} s")

    template = work / "template"
    shutil.rmtree(template, ignore_errors=True)
    shutil.copytree(data, template)
    alone, together, backups_during = [], [], []
    for pair in range(arguments.pairs):
        for with_backups in ([False, True] if pair % 2 == 0 else [True, False]):
            shutil.rmtree(data, ignore_errors=True)
            shutil.copytree(template, data)
            rate, count = stream(data, files["stream"], arguments.stream, with_backups, work)
            log(f"pair {pair + 1}: stream {'with' if with_backups else 'without'} backups: {rate:,.0f} scans/s ({count} backups)")
            (together if with_backups else alone).append(rate)
            if with_backups:
                backups_during.append(count)

    megabytes = store_bytes / 1e6
    scans_total = arguments.base
    lines = [
        f"`make bench-backup` (`Benchmarks/backup/run.py`), this 2-core machine: a store of {arguments.base:,} scans "
        f"({megabytes:,.0f} MB `data.mdb`); a zstd -3 of its `rastro export`: {export_zstd_bytes / 1e6:,.0f} MB.",
        "",
        "| | plain | encrypted (ChaCha20-Poly1305) |",
        "|---|---:|---:|",
    ]

    def row(label, formatter):
        lines.append(f"| {label} | {formatter(results['plain'])} | {formatter(results['encrypted'])} |")

    row("full backup", lambda r: f"{r['full_seconds']:.2f} s ({megabytes / r['full_seconds']:,.0f} MB/s of store, "
                                 f"{scans_total / r['full_seconds'] / 1e6:.1f} M scans/s)")
    row("its size", lambda r: f"{r['full_bytes'] / 1e6:,.0f} MB ({100 * r['full_bytes'] / store_bytes:.0f} % of the store, "
                              f"{r['full_bytes'] / export_zstd_bytes:.2f}× the zstd export)")
    row(f"incremental after {arguments.more:,} more scans", lambda r: f"{r['incremental_seconds']:.2f} s, "
        f"{r['incremental_bytes'] / 1e6:,.1f} MB ({100 * r['incremental_bytes'] / r['full_bytes']:.2f} % of the full)")
    row("verify (both backups)", lambda r: f"{r['verify_seconds']:.2f} s")
    row("restore of the newest, verified", lambda r: f"{r['restore_seconds']:.2f} s ({megabytes / r['restore_seconds']:,.0f} MB/s, "
                                                     f"{scans_total / r['restore_seconds'] / 1e6:.1f} M scans/s)")
    lines += [
        "",
        f"`rastro send` of {arguments.stream:,} more scans to `rastrod` (binary, 4 connections, durable acks), alone: "
        f"{statistics.median(alone):,.0f} scans/s (runs {', '.join(f'{r:,.0f}' for r in alone)}); while full backups of "
        f"the same store run back to back ({', '.join(map(str, backups_during))} of them per run): "
        f"{statistics.median(together):,.0f} scans/s (runs {', '.join(f'{r:,.0f}' for r in together)}) = "
        f"{100 * (statistics.median(together) / statistics.median(alone) - 1):+.1f} %.",
    ]
    publish(lines, not arguments.no_write, "backup", "## 11. Backups")


if __name__ == "__main__":
    main()
