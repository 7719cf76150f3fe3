#!/usr/bin/python3
"""The kNN graph alone on the benchmark heads: exact (blocked sgemm) beside NN-descent, CPU seconds of each
(median of --repeats, one thread) and NN-descent's recall against the exact graph, for the k values given.
With --float64, also both graphs' recall against neighbours computed in float64 (the exact path's float32
products misorder near-duplicate points, so it is not the truth there either).

Needs the knn_bench program: cmake --build build --target knn_bench.

Usage: /usr/bin/python3 bench/layout/knn_cpu.py [--knn-bench build/knn_bench] [--attnviz build/attnviz]
         [--heads brown-gpt:2:3,mnist-vit:2:1] [--k 9,14,30,60] [--repeats 3] [--work DIR] [--float64]
"""
import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import heads  # noqa: E402


def float64_neighbours(x, k, block=2000):
    """The k nearest of each row of x by cosine distance in float64 (ties: lower index), [n, k]: candidates
    from the float64 product, then their distances computed directly."""
    x = x.astype(np.float64)
    x /= np.maximum(np.linalg.norm(x, axis=1, keepdims=True), 1e-300)
    squares = (x ** 2).sum(1)
    truth = np.empty((len(x), k), dtype=np.int64)
    for start in range(0, len(x), block):
        rows = x[start:start + block]
        d = squares[start:start + block, None] + squares[None] - 2 * rows @ x.T
        d[np.arange(len(rows)), np.arange(start, start + len(rows))] = np.inf
        candidates = np.argpartition(d, 4 * k, axis=1)[:, :4 * k]
        direct = ((rows[:, None, :] - x[candidates]) ** 2).sum(-1)
        for r in range(len(rows)):
            truth[start + r] = [j for _, j in sorted(zip(direct[r], candidates[r]))[:k]]
    return truth


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--knn-bench", default=os.path.join(heads.ROOT, "build", "knn_bench"))
    parser.add_argument("--attnviz", default=os.path.join(heads.ROOT, "build", "attnviz"), help="makes the runs")
    parser.add_argument("--heads", default="brown-gpt:2:3,mnist-vit:2:1", help="model:layer:head,...")
    parser.add_argument("--k", default="9,14,30,60", help="neighbours per point, comma-separated")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--work", default=None, help="folder for the runs (kept; default: a new temporary one)")
    parser.add_argument("--float64", action="store_true", help="also recall against float64 neighbours")
    args = parser.parse_args()
    work = args.work or tempfile.mkdtemp(prefix="attnviz-bench-knn-")
    print(f"work folder {work}; load average {heads.load_average():.1f}", flush=True)
    print("| head | n | dim | k | exact CPU s | NN-descent CPU s | ratio | recall | recall (ties) |")
    print("| --- | --- | --- | --- | --- | --- | --- | --- | --- |")
    for name, _, _, _, x in heads.benchmark_heads(args.attnviz, args.heads, work, 2):
        path = os.path.join(work, "points.f32")
        x.astype("<f4").tofile(path)
        for k in map(int, args.k.split(",")):
            runs = [json.loads(subprocess.run([args.knn_bench, path, str(len(x)), str(x.shape[1]), str(k), "1"],
                                              check=True, capture_output=True, text=True).stdout)
                    for _ in range(args.repeats)]
            exact = statistics.median(r["exact_seconds"] for r in runs)
            descent = statistics.median(r["nn_descent_seconds"] for r in runs)
            print(f"| {name} | {len(x)} | {x.shape[1]} | {k} | {exact:.3f} | {descent:.3f} | {exact / descent:.2f}x | "
                  f"{runs[0]['recall']:.4f} | {runs[0]['tie_recall']:.4f} |", flush=True)
            if args.float64:
                graphs = os.path.join(work, "graph")
                subprocess.run([args.knn_bench, path, str(len(x)), str(x.shape[1]), str(k), "1", "cosine", graphs],
                               check=True, capture_output=True)
                truth = float64_neighbours(x, k)
                for which in ("exact", "nn_descent"):
                    found = np.fromfile(f"{graphs}.{which}.i32", dtype="<i4").reshape(len(x), k)
                    recall = np.mean([len(set(found[i]) & set(truth[i])) for i in range(len(x))]) / k
                    print(f"  {which}: recall against float64 neighbours {recall:.4f}", flush=True)
    print(f"load average {heads.load_average():.1f}")


if __name__ == "__main__":
    main()
