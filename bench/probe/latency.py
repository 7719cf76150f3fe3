#!/usr/bin/env python3
"""Latency of a probe placed in every head (issue 13; docs/benchmarks.md, "Probes"), attnviz builds side by side.

Starts `attnviz serve RUN` for each --bin, then: the first probe (which loads the model), one all-heads
placement to build each head's cached state, and REPEAT rounds in which each server in turn answers a probe
of a 34-token sentence plus /api/probe/{id}/layout/METHOD/2 (every head, one request). Reports per build the
median wall time and the server's CPU time (user + system, from /proc: what an idle machine's cores would
spend), with the load average, and the ratio to the first build.
Usage: latency.py RUN --bin base=PATH --bin new=PATH [--repeat 3] [--method tsne]
"""
import argparse
import json
import os
import socket
import statistics
import subprocess
import time
import urllib.request

SENTENCE = ("The jury further said in term end presentments that the City Executive Committee , which had "
            "over-all charge of the election , deserves the praise")


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def cpu_seconds(pid):
    fields = open(f"/proc/{pid}/stat").read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def request(port, path, body=None):
    req = urllib.request.Request(f"http://127.0.0.1:{port}{path}", data=body,
                                 headers={"Content-Type": "application/json"} if body else {})
    with urllib.request.urlopen(req, timeout=600) as response:
        return response.read()


def probe_and_place(port, method):
    p = json.loads(request(port, "/api/probe", json.dumps({"text": SENTENCE}).encode()))
    request(port, f"/api/probe/{p['id']}/layout/{method}/2")
    return p["token_count"]


def start(binary, run):
    port = free_port()
    server = subprocess.Popen([binary, "serve", run, "--port", str(port)], stdout=subprocess.DEVNULL,
                              stderr=subprocess.DEVNULL)
    for _ in range(100):
        try:
            request(port, "/api/run")
            return server, port
        except OSError:
            time.sleep(0.1)
    raise SystemExit(f"{binary} serve did not start")


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("run")
    parser.add_argument("--bin", action="append", required=True, help="NAME=PATH of an attnviz binary")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--method", default="tsne")
    args = parser.parse_args()
    builds = [tuple(b.split("=", 1)) for b in args.bin]
    servers = {name: start(path, args.run) for name, path in builds}
    first, wall, cpu = {}, {name: [] for name, _ in builds}, {name: [] for name, _ in builds}
    try:
        for name, (server, port) in servers.items():
            begin = time.perf_counter()
            request(port, "/api/probe", json.dumps({"text": SENTENCE}).encode())
            first[name] = time.perf_counter() - begin
            probe_and_place(port, args.method)  # each head's index (and field) built once
        for _ in range(args.repeat):
            for name, (server, port) in servers.items():
                c0, t0 = cpu_seconds(server.pid), time.perf_counter()
                tokens = probe_and_place(port, args.method)
                wall[name].append(time.perf_counter() - t0)
                cpu[name].append(cpu_seconds(server.pid) - c0)
    finally:
        for server, _ in servers.values():
            server.terminate()
            server.wait()
    print(f"load average: {os.getloadavg()[0]:.1f}; {tokens}-token probe + {args.method} 2D placement in every head")
    base = builds[0][0]
    for name, _ in builds:
        w, c = statistics.median(wall[name]), statistics.median(cpu[name])
        print(f"{name}: first probe {first[name]:.3f} s; probe + placement wall {w:.3f} s, server CPU {c:.3f} s "
              f"(median of {args.repeat}; CPU ratio to {base} {c / statistics.median(cpu[base]):.2f})")


if __name__ == "__main__":
    main()
