#!/usr/bin/env python3
"""rastrod's memory under hostile clients: each scenario runs against a fresh server and reports its resident set
before, at the peak (VmHWM) and after, from /proc. `make bench-hostile` runs it against the release build.

Scenarios (docs/security.md, "Measured"):
  never-reads   a CSV client sends 100 MB of bad rows and never reads its answers
  pre-auth      200 connections each announce a 4 MiB frame before any hello
  silent        1,000 connections that send nothing (hello timeout, per-address bound)
  trickle       50 connections each trickle a frame a byte per second
  bad-tokens    3,000 connections with a wrong token (throttled, audit coalesced)
"""
import argparse
import os
import socket
import struct
import subprocess
import sys
import tempfile
import threading
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))))
from benchlib import wait_port  # noqa: E402

HEADER = b"tracking_id,event,scanned_at,messenger,work_center,device,seq,reason,lat,lon\n"


def rss(pid):
    values = {}
    with open(f"/proc/{pid}/status") as status:
        for line in status:
            key, _, value = line.partition(":")
            if key in ("VmRSS", "VmHWM"):
                values[key] = int(value.split()[0]) // 1024
    return values



class Server:
    def __init__(self, rastro, rastrod, extra):
        self.directory = tempfile.mkdtemp(prefix="rastro-hostile-")
        data = os.path.join(self.directory, "db")
        subprocess.run([rastro, "init", "--data", data], check=True, capture_output=True)
        created = subprocess.run(
            [rastro, "token", "create", "--gateway", "hostile", "--data", data], check=True, capture_output=True, text=True)
        self.token = created.stdout.split()[-1]
        self.process = subprocess.Popen(
            [rastrod, "--data", data, "--log-level", "error", "--binary-port", "7610", "--csv-port", "7611",
             "--http-port", "7690"] + extra)
        for port in (7610, 7611, 7690):
            wait_port(port)
        time.sleep(0.5)
        self.start = rss(self.process.pid)

    def stop(self):
        self.process.send_signal(2)
        self.process.wait(timeout=60)
        subprocess.run(["rm", "-rf", self.directory])


def never_reads(server):
    connection = socket.create_connection(("127.0.0.1", 7611))
    connection.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    connection.settimeout(5)
    connection.sendall(f"AUTH {server.token}\n".encode() + HEADER)
    row = b"GU1,not_an_event,2026-09-01T10:00:00Z,M,C,D,1,,,\n"
    chunk = row * (65536 // len(row))
    sent = 0
    try:
        while sent < 100 << 20:
            sent += connection.send(chunk)
    except socket.timeout:
        pass
    peak = rss(server.process.pid)
    connection.close()
    return f"sent {sent >> 20} MiB of 100 before the server stopped reading", peak


def pre_auth(server):
    connections = []
    for _ in range(200):
        try:
            connection = socket.create_connection(("127.0.0.1", 7610))
            connections.append(connection)
            connection.sendall(struct.pack(">I", 4 << 20) + bytes([1]) + b"\0" * 65536)
        except OSError:
            pass
    time.sleep(1)
    peak = rss(server.process.pid)
    closed = sum(1 for c in connections if _closed(c))
    for connection in connections:
        connection.close()
    return f"{closed} of {len(connections)} closed by the server", peak


def _closed(connection):
    connection.settimeout(2)
    try:
        while True:
            data = connection.recv(65536)
            if not data:
                return True
    except socket.timeout:
        return False
    except OSError:  # reset: the server closed with the client's bytes unread
        return True


def silent(server):
    connections = []
    for _ in range(1000):
        try:
            connections.append(socket.create_connection(("127.0.0.1", 7610), timeout=2))
        except OSError:
            pass
    time.sleep(1)
    peak = rss(server.process.pid)
    refused = sum(1 for c in connections if _closed(c))
    # A real handheld can still connect and authenticate.
    other = socket.create_connection(("127.0.0.1", 7611), timeout=5)
    other.sendall(f"AUTH {server.token}\n".encode() + HEADER
                  + b"GU2,picked_up,2026-09-01T10:00:00Z,M,C,HH-2,1,,,\n")
    other.shutdown(socket.SHUT_WR)
    answer = other.recv(4096).decode().strip()
    for connection in connections:
        connection.close()
    return f"{refused} of {len(connections)} closed or refused; a real client got '{answer}'", peak


def trickle(server):
    connections = []
    for _ in range(50):
        connection = socket.create_connection(("127.0.0.1", 7611))
        connection.sendall(f"AUTH {server.token}\n".encode() + HEADER + b"GU1")
        connections.append(connection)
    started = time.time()
    open_count = len(connections)
    while open_count and time.time() - started < 90:
        open_count = 0
        for connection in connections:
            try:
                connection.send(b"1")
                open_count += 1
            except OSError:
                pass
        time.sleep(1)
    peak = rss(server.process.pid)
    for connection in connections:
        connection.close()
    return f"all cut after {time.time() - started:.0f} s" if not open_count else f"{open_count} still open", peak


def bad_tokens(server):
    refused = 0
    for _ in range(3000):
        try:
            connection = socket.create_connection(("127.0.0.1", 7611), timeout=5)
            connection.sendall(b"AUTH rst_wrong\n")
            if connection.recv(4096).startswith(b"ERR"):
                refused += 1
            connection.close()
        except OSError:
            pass
    peak = rss(server.process.pid)
    return f"{refused} refused", peak


SCENARIOS = {"never-reads": never_reads, "pre-auth": pre_auth, "silent": silent, "trickle": trickle,
             "bad-tokens": bad_tokens}


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--rastro", default=".build/release/rastro")
    parser.add_argument("--rastrod", default=".build/release/rastrod")
    parser.add_argument("scenarios", nargs="*", default=list(SCENARIOS))
    arguments = parser.parse_args()
    print("| scenario | outcome | RSS before | peak | after |")
    print("|---|---|---|---|---|")
    for name in arguments.scenarios:
        server = Server(arguments.rastro, arguments.rastrod, [])
        outcome, peak = SCENARIOS[name](server)
        time.sleep(1)
        after = rss(server.process.pid)
        print(f"| {name} | {outcome} | {server.start['VmRSS']} MB | {peak['VmHWM']} MB | {after['VmRSS']} MB |")
        sys.stdout.flush()
        server.stop()


if __name__ == "__main__":
    main()
