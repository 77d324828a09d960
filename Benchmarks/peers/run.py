#!/usr/bin/env python3
"""`make bench`: Rastro beside PostgreSQL, SQLite and DuckDB on one generated scan stream, in one run.

Steps (docs/performance.md §6 shows the latest table):
  1. `rastro generate` a stream (SCANS scans, seed 42) with resends and bad rows, and its clean scans; the clean scans
     are normalised for the peers (canonical event codes, ISO 8601 times with the site offset) by this script, not
     by Rastro, so that both sides read the generator's output independently.
  2. Loads: PostgreSQL COPY into a table with Rastro's four indexes; SQLite .import in WAL mode into the same table;
     DuckDB COPY without indexes; Rastro `import` of the full stream; Rastro `send` of the full stream to rastrod
     over loopback (binary, durable acks). For each: rows/s, bytes on disk per scan, peak memory.
  3. The same questions on each (SQL beside this file), median latency; the answers are compared and the run fails
     when they differ.
  4. The table, with Rastro/peer ratios, goes into docs/performance.md between the bench markers, and is printed.

Peak memory is the peak resident set of the process doing the work: rastro, rastrod, the sqlite3 shell, the Python
process hosting DuckDB, and the PostgreSQL backend serving the session (shared buffers it touched included).
"""

import argparse
import csv
import json
import math
import os
import random
import re
import shutil
import signal
import socket
import sqlite3
import statistics
import subprocess
import sys
import threading
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path
from zoneinfo import ZoneInfo

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent.parent
BIN = ROOT / ".build" / "release"
WORK = ROOT / ".build-bench"
ZONE = ZoneInfo("America/Bogota")
PERFORMANCE = ROOT / "docs" / "performance.md"
START_MARK = "<!-- bench:start -->"
END_MARK = "<!-- bench:end -->"

# (question, title, SQL block, the instant its {at} means). "now" is just after the last scan.
QUESTIONS = [
    ("productivity_week", "productivity by messenger, one week", "productivity_week", "now"),
    ("productivity_all", "productivity by messenger, everything", "productivity_all", "now"),
    ("compare_work_centers", "compare work centres (deliveries, rank, ratio to median)", "compare_work_centers", "now"),
    ("returns_by_reason", "returns by reason", "returns_by_reason", "now"),
    ("states", "current-state counts (now)", "states", "now"),
    ("states_past", "state counts at a past instant (day 30, noon)", "states", "past"),
    ("out_for_delivery_to_delivered_p90", "out_for_delivery→delivered p90 by work centre", "out_for_delivery_to_delivered_p90", "now"),
    ("picked_up_to_delivered_by_work_center", "picked_up→delivered p50/p90/p99/max by work centre", "picked_up_to_delivered_by_work_center", "now"),
    ("overdue_out_for_delivery_24h", "overdue: out_for_delivery for 24 h (now)", "overdue_out_for_delivery_24h", "now"),
    ("overdue_past", "overdue: out_for_delivery for 24 h at a past instant", "overdue_out_for_delivery_24h", "past"),
]


def log(message):
    print(f"[bench {time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


def spawn_measured(command, **kwargs):
    """Runs a command and reaps it with wait4 so its own peak RSS is known: (seconds, peak bytes, stdout)."""
    start = time.monotonic()
    stdout_path = WORK / f"stdout-{os.getpid()}-{time.monotonic_ns()}.txt"
    with open(stdout_path, "w") as out:
        process = subprocess.Popen(command, stdout=out, stderr=subprocess.PIPE, text=True, **kwargs)
        _, status, usage = os.wait4(process.pid, 0)
    seconds = time.monotonic() - start
    stderr = process.stderr.read()
    process.stderr.close()
    text = stdout_path.read_text()
    stdout_path.unlink()
    if os.waitstatus_to_exitcode(status) != 0:
        raise SystemExit(f"{' '.join(map(str, command))} failed:\n{stderr}\n{text}")
    return seconds, usage.ru_maxrss * 1024, text


# ---------------------------------------------------------------------------------------------------------------
# The stream


def load_aliases():
    aliases = {}
    with open(ROOT / "data" / "event-aliases.csv") as handle:
        for line in handle:
            if line.startswith("#") or line.startswith("alias,"):
                continue
            alias, _, event = line.strip().partition(",")
            if alias:
                aliases[alias.upper()] = event
    for event in ["picked_up", "received", "in_transit", "out_for_delivery", "delivered", "failed_attempt", "returned"]:
        aliases[event.upper()] = event
    return aliases


def normalise_time(text):
    """The generator writes `…-05:00`, `…Z` or local `YYYY-MM-DD HH:MM:SS`; peers get one ISO form with the offset."""
    if text.endswith("Z"):
        moment = datetime.fromisoformat(text[:-1]).replace(tzinfo=timezone.utc)
    elif "T" in text:
        moment = datetime.fromisoformat(text)
    else:
        moment = datetime.fromisoformat(text).replace(tzinfo=ZONE)
    local = moment.astimezone(ZONE)
    return local.isoformat(timespec="milliseconds")


def prepare(scans):
    WORK.mkdir(exist_ok=True)
    full = WORK / f"scans-{scans}.csv"
    clean = WORK / f"clean-{scans}.csv"
    peers = WORK / f"peers-{scans}.csv"
    if not full.exists():
        log(f"generating {scans:,} scans")
        subprocess.run([BIN / "rastro", "generate", "--scans", str(scans), "--seed", "42", "--out", full], check=True)
        subprocess.run([BIN / "rastro", "generate", "--scans", str(scans), "--seed", "42", "--clean", "--out", clean], check=True)
    if not peers.exists():
        log("normalising the clean scans for the peers")
        aliases = load_aliases()
        temporary = peers.with_suffix(".tmp")
        with open(clean, newline="") as source, open(temporary, "w", newline="") as target:
            reader = csv.DictReader(source)
            writer = csv.writer(target, lineterminator="\n")
            columns = ["tracking_id", "event", "scanned_at", "messenger", "work_center", "device", "seq", "reason", "lat", "lon"]
            writer.writerow(columns)
            for row in reader:
                row["event"] = aliases[row["event"].upper()]
                row["scanned_at"] = normalise_time(row["scanned_at"])
                writer.writerow([row[column] for column in columns])
        temporary.rename(peers)
    with open(full) as handle:
        full_rows = sum(1 for _ in handle) - 1
    with open(peers) as handle:
        clean_rows = sum(1 for _ in handle) - 1
    return full, peers, full_rows, clean_rows


def parameters(peers):
    """The week, instants and items the questions use, from the data: the second whole week (Monday to Monday), now
    (just after the last scan), a past instant (noon of day 30), and 1,000 random items."""
    first = last = None
    tracking = set()
    with open(peers, newline="") as handle:
        for row in csv.DictReader(handle):
            moment = datetime.fromisoformat(row["scanned_at"])
            if first is None or moment < first:
                first = moment
            if last is None or moment > last:
                last = moment
            tracking.add(row["tracking_id"])
    day = first.astimezone(ZONE).replace(hour=0, minute=0, second=0, microsecond=0)
    monday = day + timedelta(days=(7 - day.weekday()) % 7 + 7)
    past = day + timedelta(days=30, hours=12)
    now = last.astimezone(ZONE) + timedelta(milliseconds=1)
    items = sorted(random.Random(7).sample(sorted(tracking), min(1000, len(tracking))))
    stamp = lambda moment: moment.isoformat(timespec="milliseconds")
    return {
        "week_from": stamp(monday),
        "week_to": stamp(monday + timedelta(days=7)),
        "now": stamp(now),
        "now_minus_24h": stamp(now - timedelta(hours=24)),
        "past": stamp(past),
        "past_minus_24h": stamp(past - timedelta(hours=24)),
        "items": items,
    }


# ---------------------------------------------------------------------------------------------------------------
# Rastro


def rastro_info_bytes(directory):
    output = subprocess.run([BIN / "rastro", "info", "--data", directory, "--format", "csv"], check=True, capture_output=True, text=True).stdout
    for line in output.splitlines():
        if line.startswith("file_bytes,"):
            return int(line.split(",")[1])
    raise SystemExit("rastro info printed no file_bytes")


def rastro_import(full, full_rows, clean_rows):
    directory = WORK / "rastro-import"
    shutil.rmtree(directory, ignore_errors=True)
    log("Rastro: import")
    seconds, peak, _ = spawn_measured([BIN / "rastro", "import", full, "--data", directory, "--quiet"])
    return {
        "name": "Rastro import",
        "seconds": seconds,
        "rows_per_second": full_rows / seconds,
        "scans_per_second": clean_rows / seconds,
        "bytes_per_scan": rastro_info_bytes(directory) / clean_rows,
        "peak_bytes": peak,
        "directory": directory,
    }


def median_run(runs):
    """The run with the median rate (the lower middle of an even count), carrying every run's rate."""
    ordered = sorted(runs, key=lambda run: run["rows_per_second"])
    chosen = dict(ordered[(len(ordered) - 1) // 2])
    chosen["all_rates"] = [run["rows_per_second"] for run in runs]
    return chosen


def wait_for_port(port, seconds=30):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        with socket.socket() as probe:
            if probe.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.05)
    raise SystemExit(f"nothing listens on port {port}")


def rastro_send(full, full_rows, clean_rows):
    directory = WORK / "rastro-send"
    shutil.rmtree(directory, ignore_errors=True)
    log("Rastro: rastrod + send (binary, loopback, durable acks)")
    subprocess.run([BIN / "rastro", "init", "--data", directory], check=True, capture_output=True)
    created = subprocess.run([BIN / "rastro", "token", "create", "--gateway", "bench", "--data", directory], check=True, capture_output=True, text=True)
    token = created.stdout.split()[-1]
    server = subprocess.Popen(
        [BIN / "rastrod", "--data", directory, "--log-level", "warning", "--binary-port", "7410", "--csv-port", "7411", "--http-port", "7490"],
        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    # The peak resident set counts the LMDB map's file pages the server touched (the page cache, shared, growing with
    # the data read); the anonymous part is the server's own memory, which its bounds cap. Sampled every 100 ms.
    anonymous = {"peak": 0}
    stop = threading.Event()

    def sample():
        while not stop.is_set():
            try:
                with open(f"/proc/{server.pid}/status") as status:
                    for line in status:
                        if line.startswith("RssAnon:"):
                            anonymous["peak"] = max(anonymous["peak"], int(line.split()[1]) * 1024)
            except OSError:
                return
            stop.wait(0.1)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    try:
        wait_for_port(7410)
        seconds, client_peak, output = spawn_measured(
            [BIN / "rastro", "send", full, "--to", "127.0.0.1:7410", "--token", token, "--connections", "4", "--batch-size", "5000",
             "--window", "32", "--quiet"])
    finally:
        stop.set()
        sampler.join()
        server.send_signal(signal.SIGINT)
        _, _, usage = os.wait4(server.pid, 0)
        server.stderr.close()
    return {
        "name": "Rastro send",
        "seconds": seconds,
        "rows_per_second": full_rows / seconds,
        "scans_per_second": clean_rows / seconds,
        "bytes_per_scan": rastro_info_bytes(directory) / clean_rows,
        "peak_bytes": usage.ru_maxrss * 1024,
        "anonymous_peak_bytes": anonymous["peak"],
        "client_peak_bytes": client_peak,
        "summary": output.strip(),
    }


def rastro_questions(directory, parameters, runs):
    log("Rastro: questions")
    items = WORK / "items.txt"
    items.write_text("\n".join(parameters["items"]) + "\n")
    output = subprocess.run(
        [BIN / "rastro", "bench-questions", "--data", directory, "--week-from", parameters["week_from"], "--week-to", parameters["week_to"],
         "--now", parameters["now"], "--past", parameters["past"], "--items", items, "--runs", str(runs)],
        check=True, capture_output=True, text=True).stdout
    return {entry["question"]: entry for entry in map(json.loads, output.splitlines())}


# ---------------------------------------------------------------------------------------------------------------
# Peers (each runs in a child process of this script, so its peak memory is its own)


def sql_blocks(engine):
    text = (HERE / f"{engine}.sql").read_text()
    blocks = {}
    for part in re.split(r"^-- name: ", text, flags=re.M)[1:]:
        name, _, body = part.partition("\n")
        blocks[name.strip()] = body.strip()
    return blocks


def time_questions(execute, blocks, parameters, runs, placeholder, literal=lambda value: f"TIMESTAMPTZ '{value}'"):
    """Times each question `runs` times (median) and the trace of every item once; returns answers too."""
    results = {}
    for question, _, block, instant in QUESTIONS:
        substitutions = {
            "week_from": literal(parameters["week_from"]), "week_to": literal(parameters["week_to"]),
            "at": literal(parameters[instant]), "at_minus_24h": literal(parameters[instant + "_minus_24h"])}
        query = blocks[block].format(**substitutions)
        samples = []
        rows = []
        # Up to `runs` runs, but a query slower than 10 s in all is not repeated past that (the median of fewer runs
        # of a multi-second query is still far from Rastro's milliseconds).
        while len(samples) < runs and sum(samples) < 10_000:
            start = time.monotonic()
            rows = execute(query, ())
            samples.append((time.monotonic() - start) * 1000)
        results[question] = {"median_ms": statistics.median(samples), "runs": len(samples), "rows": [list(row) for row in rows]}
        log(f"  {question}: {statistics.median(samples):.1f} ms")
    query = blocks["trace"].replace(":item", placeholder)
    samples = []
    rows = []
    for item in parameters["items"]:
        start = time.monotonic()
        rows.extend(execute(query, (item,)))
        samples.append((time.monotonic() - start) * 1000)
    samples.sort()
    results["trace_items"] = {
        "median_ms": statistics.median(samples), "p99_ms": samples[max(0, math.ceil(len(samples) * 0.99) - 1)],
        "runs": len(samples), "rows": [list(row) for row in rows]}
    log(f"  trace: median {results['trace_items']['median_ms']:.2f} ms")
    return results


def child_duckdb(arguments):
    import duckdb

    blocks = sql_blocks("duckdb")
    database = Path(arguments.database)
    database.unlink(missing_ok=True)
    connection = duckdb.connect(str(database))
    connection.execute(blocks["setup"])
    connection.execute(blocks["schema"])
    start = time.monotonic()
    connection.execute(blocks["load"].format(csv="'" + arguments.csv + "'"))
    connection.execute("CHECKPOINT")
    load_seconds = time.monotonic() - start
    size = database.stat().st_size
    if arguments.load_only:
        print(json.dumps({"load_seconds": load_seconds, "bytes": size, "questions": {}}))
        return
    parameters = json.loads(Path(arguments.parameters).read_text())
    results = time_questions(lambda query, values: connection.execute(query, list(values)).fetchall(), blocks, parameters, arguments.runs, "?")
    print(json.dumps({"load_seconds": load_seconds, "bytes": size, "questions": results}, default=str))


def child_sqlite(arguments):
    blocks = sql_blocks("sqlite")
    database = Path(arguments.database)
    for suffix in ("", "-wal", "-shm"):
        Path(str(database) + suffix).unlink(missing_ok=True)
    connection = sqlite3.connect(database)
    connection.executescript(blocks["setup"] + "\n" + blocks["schema"])
    connection.close()
    # The sqlite3 shell's .import is SQLite's own bulk loader; its peak memory is measured on that process.
    script = blocks["load"].replace("{csv}", arguments.csv)
    start = time.monotonic()
    process = subprocess.Popen(["sqlite3", str(database)], stdin=subprocess.PIPE, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    process.stdin.write(script + "\n")
    process.stdin.close()
    _, status, usage = os.wait4(process.pid, 0)
    load_seconds = time.monotonic() - start
    if os.waitstatus_to_exitcode(status) != 0:
        raise SystemExit("sqlite3 .import failed: " + process.stderr.read())
    connection = sqlite3.connect(database)
    connection.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    size = sum(Path(str(database) + suffix).stat().st_size for suffix in ("", "-wal") if Path(str(database) + suffix).exists())
    parameters = json.loads(Path(arguments.parameters).read_text())
    # SQLite has no time type: times are ISO 8601 text in one form with the site offset, which sorts in time order.
    results = time_questions(
        lambda query, values: connection.execute(query, values).fetchall(), blocks, parameters, arguments.runs, "?",
        literal=lambda value: f"'{value}'")
    print(json.dumps({"load_seconds": load_seconds, "bytes": size, "peak_bytes": usage.ru_maxrss * 1024, "questions": results}, default=str))


def child_postgres(arguments):
    import psycopg

    blocks = sql_blocks("postgres")
    with psycopg.connect(arguments.dsn, autocommit=True) as connection:
        connection.execute("DROP TABLE IF EXISTS scans")
        connection.execute(blocks["setup"])
        backend = connection.execute("SELECT pg_backend_pid()").fetchone()[0]
        # Without parameters psycopg uses the simple query protocol, which takes several statements.
        connection.execute(blocks["schema"])
        start = time.monotonic()
        with connection.cursor() as cursor:
            with cursor.copy(blocks["load"].rstrip(";")) as copy:
                with open(arguments.csv, "rb") as source:
                    while chunk := source.read(1 << 20):
                        copy.write(chunk)
        load_seconds = time.monotonic() - start
        peak = 0
        with open(f"/proc/{backend}/status") as status:
            for line in status:
                if line.startswith("VmHWM:"):
                    peak = int(line.split()[1]) * 1024
        connection.execute("VACUUM ANALYZE scans")
        size = connection.execute("SELECT pg_total_relation_size('scans')").fetchone()[0]
        parameters = json.loads(Path(arguments.parameters).read_text())
        results = time_questions(lambda query, values: connection.execute(query, values).fetchall(), blocks, parameters, arguments.runs, "%s")
    print(json.dumps({"load_seconds": load_seconds, "bytes": size, "peak_bytes": peak, "questions": results}, default=str))


class Postgres:
    """A throwaway PostgreSQL cluster with default settings (fsync on), on a private socket and port."""

    def __init__(self):
        versions = sorted(Path("/usr/lib/postgresql").glob("*/bin/initdb"))
        if not versions:
            raise SystemExit("PostgreSQL is not installed (make bench installs it)")
        self.bin = versions[-1].parent
        self.directory = Path("/tmp/rastro-bench-pg")
        self.port = 5499
        self.user = "postgres" if os.geteuid() == 0 else os.environ.get("USER", "postgres")

    def command(self, *arguments):
        if os.geteuid() == 0:
            return ["runuser", "-u", "postgres", "--", *arguments]
        return list(arguments)

    def start(self):
        self.stop()
        shutil.rmtree(self.directory, ignore_errors=True)
        self.directory.mkdir(parents=True)
        if os.geteuid() == 0:
            shutil.chown(self.directory, "postgres")
        data = self.directory / "data"
        subprocess.run(self.command(self.bin / "initdb", "-D", data, "-U", self.user, "--no-sync"), check=True, capture_output=True)
        subprocess.run(
            self.command(self.bin / "pg_ctl", "-D", data, "-l", self.directory / "log", "-w", "-o", f"-p {self.port} -k {self.directory} -c listen_addresses=''", "start"),
            check=True, capture_output=True)
        return f"host={self.directory} port={self.port} user={self.user} dbname=postgres"

    def stop(self):
        data = self.directory / "data"
        if (data / "postmaster.pid").exists():
            subprocess.run(self.command(self.bin / "pg_ctl", "-D", data, "-m", "fast", "stop"), capture_output=True)


def run_child(engine, csv_path, parameters_path, runs, extra):
    command = [sys.executable, __file__, "--child", engine, "--csv", str(csv_path), "--parameters", str(parameters_path), "--runs", str(runs), *extra]
    seconds, peak, output = spawn_measured(command)
    result = json.loads(output.strip().splitlines()[-1])
    result.setdefault("peak_bytes", peak)
    return result


# ---------------------------------------------------------------------------------------------------------------
# Answers


def normalised(question, rows):
    """Rows as comparable tuples: text and integers, durations kept as numbers for the tolerance check."""
    result = []
    for row in rows:
        values = []
        for value in row:
            if isinstance(value, float) and question != "compare_work_centers":
                value = int(round(value))
            elif isinstance(value, str) and re.fullmatch(r"-?\d+", value):
                value = int(value)
            elif isinstance(value, str) and re.fullmatch(r"-?\d+\.\d+(e-?\d+)?", value):
                value = float(value)
            values.append(value)
        result.append(tuple(values))
    return sorted(result, key=lambda row: tuple(str(value) for value in row))


def same_answer(question, ours, theirs):
    """Whether Rastro's rows equal a peer's; durations within docs/storage.md's 1/128, ratios to 1e-9."""
    ours = normalised(question, ours)
    theirs = normalised(question, theirs)
    if len(ours) != len(theirs):
        return False, f"{len(ours)} rows against {len(theirs)}"
    for mine, other in zip(ours, theirs):
        if len(mine) != len(other):
            return False, f"{mine} against {other}"
        for index, (a, b) in enumerate(zip(mine, other)):
            if question.endswith("p90") or question.startswith("picked_up_to"):
                if index >= 2 and isinstance(a, int) and isinstance(b, int):
                    if abs(a - b) > b / 128 + 1:
                        return False, f"{mine} against {other}"
                    continue
            if isinstance(a, float) or isinstance(b, float):
                if abs(float(a) - float(b)) > 1e-9 * max(1.0, abs(float(b))):
                    return False, f"{mine} against {other}"
                continue
            if a != b:
                return False, f"{mine} against {other}"
    return True, ""


# ---------------------------------------------------------------------------------------------------------------
# Report


def megabytes(value):
    return f"{value / (1 << 20):,.0f} MB"


def report(scans, full_rows, clean_rows, loads, questions, checks):
    rastro_import_, rastro_send_, postgres, sqlite, duck = loads
    lines = [
        START_MARK,
        f"Measured by `make bench SCANS={scans}` on {time.strftime('%Y-%m-%d')}: {clean_rows:,} clean scans (the full stream: "
        f"{full_rows:,} rows with resends, conflicts and malformed rows). Side by side; ratios are Rastro/peer. "
        f"Rastro's import and send and DuckDB's COPY: the median of {len(rastro_import_.get('all_rates', [0]))} runs each "
        f"(every run's rate below the tables); PostgreSQL's and SQLite's loads, which take minutes: one run each.",
        "",
        "| load | rows/s | bytes/scan | peak memory |",
        "|---|---:|---:|---:|",
    ]
    for load in loads:
        lines.append(f"| {load['name']} | {load['rows_per_second']:,.0f} | {load['bytes_per_scan']:.1f} | {megabytes(load['peak_bytes'])} |")
    lines += [
        "",
        "| goal | measured | met |",
        "|---|---:|:---:|",
    ]

    def goal(text, value, target, higher=True):
        met = value >= target if higher else value <= target
        lines.append(f"| {text} | {value:,.2f} | {'yes' if met else '**no**'} |")

    goal("streamed ingest ÷ PostgreSQL COPY (≥ 10)", rastro_send_["rows_per_second"] / postgres["rows_per_second"], 10)
    goal("streamed ingest ÷ DuckDB COPY (≥ 0.5)", rastro_send_["rows_per_second"] / duck["rows_per_second"], 0.5)
    goal("bulk import ÷ DuckDB COPY (≥ 1)", rastro_import_["rows_per_second"] / duck["rows_per_second"], 1)
    goal("bytes/scan ÷ DuckDB (≤ 1)", rastro_import_["bytes_per_scan"] / duck["bytes_per_scan"], 1, higher=False)
    goal("PostgreSQL bytes/scan ÷ Rastro (≥ 10)", postgres["bytes_per_scan"] / rastro_import_["bytes_per_scan"], 10)
    lines += [
        "",
        "| question (median ms) | Rastro | PostgreSQL | SQLite | DuckDB | DuckDB ÷ Rastro | answers |",
        "|---|---:|---:|---:|---:|---:|:---:|",
    ]
    for question, title in [(entry[0], entry[1]) for entry in QUESTIONS] + [("trace_items", "trace of one item (1,000 random items)")]:
        ours = questions["rastro"][question]["median_ms"]
        theirs = [questions[engine][question]["median_ms"] for engine in ("postgres", "sqlite", "duckdb")]
        ratio = theirs[2] / max(ours, 0.001)
        lines.append(
            f"| {title} | {ours:.2f} | {theirs[0]:.2f} | {theirs[1]:.2f} | {theirs[2]:.2f} | {ratio:,.1f}× | {'same' if checks[question] else '**differ**'} |")
    lines += [
        "",
        f"Trace of one item, p99 over 1,000 items: Rastro {questions['rastro']['trace_items']['p99_ms']:.3f} ms "
        f"(goal < 1 ms). rastrod while streaming: peak resident {megabytes(rastro_send_['peak_bytes'])}, of which its own "
        f"(anonymous) memory {megabytes(rastro_send_['anonymous_peak_bytes'])} and the rest the LMDB map's file pages; "
        f"the sending client: {megabytes(rastro_send_['client_peak_bytes'])}.",
        "",
        "Every run's rows/s, in the order run: "
        + "; ".join(f"{load['name']} " + " / ".join(f"{rate:,.0f}" for rate in load.get("all_rates", [load["rows_per_second"]]))
                    for load in (rastro_import_, rastro_send_, duck)) + ".",
        END_MARK,
    ]
    return "\n".join(lines)


def write_report(text):
    content = PERFORMANCE.read_text()
    if START_MARK in content:
        before = content[: content.index(START_MARK)]
        after = content[content.index(END_MARK) + len(END_MARK):]
        content = before + text + after
    else:
        content += "\n## 6. Side by side (`make bench`)\n\n" + text + "\n"
    PERFORMANCE.write_text(content)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scans", type=int, default=int(os.environ.get("SCANS", "10000000")))
    parser.add_argument("--runs", type=int, default=5, help="timed runs per question for the peers")
    parser.add_argument("--child")
    parser.add_argument("--csv")
    parser.add_argument("--parameters")
    parser.add_argument("--database")
    parser.add_argument("--dsn")
    parser.add_argument("--no-write", action="store_true", help="print the table without writing docs/performance.md")
    parser.add_argument("--load-runs", type=int, default=int(os.environ.get("LOAD_RUNS", "3")),
                        help="runs of each load that takes seconds (Rastro's import and send, DuckDB's COPY); the median is reported")
    parser.add_argument("--load-only", action="store_true", help="(child) load, without the questions")
    arguments = parser.parse_args()
    if arguments.child:
        {"duckdb": child_duckdb, "sqlite": child_sqlite, "postgres": child_postgres}[arguments.child](arguments)
        return

    full, peers, full_rows, clean_rows = prepare(arguments.scans)
    values = parameters(peers)
    parameters_path = WORK / "parameters.json"
    parameters_path.write_text(json.dumps(values))

    # The loads that take seconds run several times, interleaved, and report their median run: on this shared
    # machine one run can land on a slow stretch. PostgreSQL's and SQLite's take minutes and run once.
    runs = max(1, arguments.load_runs)
    import_runs, send_runs = [], []
    for _ in range(runs):
        import_runs.append(rastro_import(full, full_rows, clean_rows))
        send_runs.append(rastro_send(full, full_rows, clean_rows))
    loads = [median_run(import_runs), median_run(send_runs)]
    questions = {"rastro": rastro_questions(loads[0]["directory"], values, 20)}

    cluster = Postgres()
    log("PostgreSQL: COPY with four indexes")
    try:
        dsn = cluster.start()
        result = run_child("postgres", peers, parameters_path, arguments.runs, ["--dsn", dsn])
    finally:
        cluster.stop()
    loads.append({"name": "PostgreSQL COPY", "rows_per_second": clean_rows / result["load_seconds"], "bytes_per_scan": result["bytes"] / clean_rows,
                  "peak_bytes": result["peak_bytes"]})
    questions["postgres"] = result["questions"]

    log("SQLite: .import in WAL mode with four indexes")
    result = run_child("sqlite", peers, parameters_path, arguments.runs, ["--database", str(WORK / "sqlite.db")])
    loads.append({"name": "SQLite .import", "rows_per_second": clean_rows / result["load_seconds"], "bytes_per_scan": result["bytes"] / clean_rows,
                  "peak_bytes": result["peak_bytes"]})
    questions["sqlite"] = result["questions"]

    log("DuckDB: COPY, no indexes")
    result = run_child("duckdb", peers, parameters_path, arguments.runs, ["--database", str(WORK / "duck.db")])
    questions["duckdb"] = result["questions"]
    duck_runs = [result]
    for _ in range(runs - 1):
        log("DuckDB: COPY again (load only)")
        duck_runs.append(run_child("duckdb", peers, parameters_path, arguments.runs, ["--database", str(WORK / "duck.db"), "--load-only"]))
    duck_loads = [{"name": "DuckDB COPY", "rows_per_second": clean_rows / run["load_seconds"], "bytes_per_scan": run["bytes"] / clean_rows,
                   "peak_bytes": run["peak_bytes"]} for run in duck_runs]
    loads.append(median_run(duck_loads))

    checks = {}
    failures = []
    for question in [entry[0] for entry in QUESTIONS] + ["trace_items"]:
        ok = True
        for engine in ("postgres", "sqlite", "duckdb"):
            same, why = same_answer(question, questions["rastro"][question]["rows"], questions[engine][question]["rows"])
            if not same:
                ok = False
                failures.append(f"{question}: Rastro and {engine} differ: {why}")
        checks[question] = ok
    text = report(arguments.scans, full_rows, clean_rows, loads, questions, checks)
    print(text)
    if not arguments.no_write:
        write_report(text)
    (WORK / "results.json").write_text(json.dumps({"loads": [{k: v for k, v in load.items() if k != "directory"} for load in loads],
                                                   "questions": {engine: {q: {k: v for k, v in r.items() if k != "rows"} for q, r in qs.items()} for engine, qs in questions.items()}},
                                                  default=str, indent=1))
    if failures:
        print("\n".join(failures), file=sys.stderr)
        raise SystemExit(1)


if __name__ == "__main__":
    main()
