#!/usr/bin/env python3
"""Probes against a running `attnviz serve`: latency and self-consistency (docs/benchmarks.md, "Probes").

Latency: the first POST /api/probe (which loads the model), then REPEAT more of the same ~30-token sentence,
each followed by its placement in every head of --heads (one request per head), median reported.
Self-consistency: SENTENCES sentences of the run probed again; for each method's 2D file and each head of
--heads, the distance of every probed query and key from its stored point, as a fraction of the layout's
extent (largest side of its bounding box): median and 90th percentile per method.
--heads all: latency only, every head placed by one request (/api/probe/{id}/layout/{method}/2).
Usage: probe.py PORT --heads 0:0,2:1|all [--sentences 10] [--repeat 3] [--methods pca,tsne,umap]
Needs numpy (/usr/bin/python3).
"""
import argparse
import json
import os
import statistics
import time
import urllib.request

import numpy as np

SENTENCE = ("The jury further said in term end presentments that the City Executive Committee , which had "
            "over-all charge of the election , deserves the praise")


def call(port, path, body=None):
    request = urllib.request.Request(f"http://127.0.0.1:{port}{path}", data=body,
                                     headers={"Content-Type": "application/json"} if body else {})
    with urllib.request.urlopen(request, timeout=600) as response:
        data = response.read()
        shape = response.headers.get("X-Attnviz-Shape")
    if shape:
        return np.frombuffer(data, dtype="<f4").reshape([int(s) for s in shape.split(",")])
    return json.loads(data)


def probe(port, text):
    return call(port, "/api/probe", json.dumps({"text": text}).encode())


def place_all(port, probe_id, method, heads):
    if heads == "all":  # one request for every head, as the matrix view asks
        call(port, f"/api/probe/{probe_id}/layout/{method}/2")
        return
    for layer, head in heads:
        call(port, f"/api/probe/{probe_id}/layout/{method}/2/{layer}/{head}")


def latency(port, heads, repeat, methods):
    start = time.perf_counter()
    first = probe(port, SENTENCE)
    first_s = time.perf_counter() - start
    timings = {}
    for method in methods:
        place_all(port, first["id"], method, heads)  # builds each head's search index once
        runs = []
        for _ in range(repeat):
            start = time.perf_counter()
            p = probe(port, SENTENCE)
            place_all(port, p["id"], method, heads)
            runs.append(time.perf_counter() - start)
        timings[method] = statistics.median(runs)
    return first_s, first["token_count"], timings


def self_consistency(port, heads, count, methods):
    run = call(port, "/api/run")["manifest"]
    sequences = run["sequences"][:count]
    n = run["qk"]["num_tokens"]
    results = {}
    for method in methods:
        fractions = []
        for layer, head in heads:
            stored = call(port, f"/api/layout/{method}/2/{layer}/{head}")
            extent = float((stored.max(axis=0) - stored.min(axis=0)).max())
            for s in sequences:
                p = probe(port, s["text"])
                placed = call(port, f"/api/probe/{p['id']}/layout/{method}/2/{layer}/{head}")
                t, first = s["token_count"], s["first_token"]
                rows = np.concatenate([np.arange(first, first + t), n + np.arange(first, first + t)])
                fractions.extend(np.linalg.norm(placed - stored[rows], axis=1) / extent)
        results[method] = (float(np.median(fractions)), float(np.percentile(fractions, 90)), len(fractions))
    return results


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("port", type=int)
    parser.add_argument("--heads", required=True)
    parser.add_argument("--sentences", type=int, default=10)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--methods", default="pca,tsne,umap")
    args = parser.parse_args()
    methods = args.methods.split(",")
    heads = "all" if args.heads == "all" else [tuple(int(x) for x in h.split(":")) for h in args.heads.split(",")]
    print(f"load average: {os.getloadavg()[0]:.1f}")
    first_s, tokens, timings = latency(args.port, heads, args.repeat, methods)
    print(f"first probe (loads the model): {first_s:.3f} s, {tokens} tokens")
    for method, seconds in timings.items():
        count = "all" if heads == "all" else len(heads)
        print(f"probe + placement in {count} heads, {method} 2D: {seconds:.3f} s (median of {args.repeat})")
    if heads == "all":
        return
    for method, (median, p90, points) in self_consistency(args.port, heads, args.sentences, methods).items():
        print(f"self-consistency {method} 2D: median {median:.2e}, p90 {p90:.2e} of the extent ({points} points)")


if __name__ == "__main__":
    main()
