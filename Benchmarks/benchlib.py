"""What the benchmark scripts share: running a command, percentiles, waiting for a port, and writing a measured
section into a document."""
import re
import socket
import subprocess
import sys
import time
from pathlib import Path


def log(message):
    print(message, file=sys.stderr, flush=True)


def run(arguments, **options):
    """Runs a command (paths and numbers as arguments too), raising on failure; its output is captured."""
    return subprocess.run([str(a) for a in arguments], check=True, capture_output=True, text=True, **options)


def percentile(values, fraction):
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))] if ordered else float("nan")


def wait_port(port, timeout=60):
    end = time.time() + timeout
    while time.time() < end:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return
        except OSError:
            time.sleep(0.1)
    raise SystemExit(f"port {port} never opened")


def write_section(path: Path, marker: str, heading: str, table: str):
    """Replaces what lies between `<!-- marker:start -->` and `<!-- marker:end -->` in `path` with `table`, or
    appends the section under `heading` when the document has no such markers yet."""
    text = path.read_text()
    block = f"<!-- {marker}:start -->\n{table}\n<!-- {marker}:end -->"
    if f"<!-- {marker}:start -->" in text:
        text = re.sub(rf"<!-- {marker}:start -->.*<!-- {marker}:end -->", lambda _: block, text, flags=re.S)
    else:
        text += f"\n{heading}\n\n{block}\n"
    path.write_text(text)
    log(f"wrote {path}")


def publish(lines, write: bool, marker: str, heading: str):
    """Prints a benchmark's section and, unless `write` is false, puts it into docs/performance.md."""
    table = "\n".join(lines)
    print(table)
    if write:
        write_section(Path(__file__).resolve().parents[1] / "docs" / "performance.md", marker, heading, table)
