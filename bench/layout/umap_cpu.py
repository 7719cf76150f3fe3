#!/usr/bin/python3
"""The CPU time of attnviz's UMAP command, one binary beside another (e.g. a change and the commit before it),
on the benchmark heads (bench/layout/heads.py makes the runs).

For every head and binary: the whole `attnviz layout RUN --heads L:H --methods umap --dims 2 --threads T
--force` command, CPU seconds (user + system of the child, from its rusage) rather than wall seconds, so
that the figure holds on a machine shared with other work; the binaries alternate within each repeat.
Reported per binary: the median CPU seconds of --repeats runs, the ratio to the first binary, the layout's
trustworthiness (k = 10, cosine, the same 3,000-point sample as compare.py) and the cross-entropy attnviz
wrote to metrics.json. Wall-clock comparisons against umap-learn are compare.py's.

Usage: /usr/bin/python3 bench/layout/umap_cpu.py --attnviz NEW [--before OLD] [--heads brown-gpt:2:3,...]
         [--repeats 3] [--threads 1] [--seed 42] [--work DIR]
"""
import argparse
import json
import os
import statistics
import sys

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import heads  # noqa: E402


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--attnviz", default=os.path.join(heads.ROOT, "build", "attnviz"))
    parser.add_argument("--before", default=None, help="another attnviz binary to time beside --attnviz")
    parser.add_argument("--heads", default="brown-gpt:2:3,mnist-vit:2:1", help="model:layer:head,...")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--seed", type=int, default=42, help="attnviz's --seed (the layout's and its samples')")
    parser.add_argument("--work", default=None, help="folder for the runs (kept; default: a new temporary one)")
    args = parser.parse_args()
    work, binaries = heads.side_by_side(args, "attnviz-bench-umap-")
    from sklearn.manifold import trustworthiness
    rows = []
    for name, run, layer, head, x in heads.benchmark_heads(args.attnviz, args.heads, work, 2):
        sample = np.random.default_rng(0).choice(len(x), 3000, replace=False)
        cpu = {b: [] for b in binaries}
        trust, entropy = {}, {}
        for repeat in range(args.repeats):
            print(f"{name}: repeat {repeat + 1}, load average {heads.load_average():.1f}", flush=True)
            for label, binary in binaries.items():
                cpu[label].append(heads.cpu_seconds([binary, "layout", run, "--heads", f"{layer}:{head}", "--methods",
                                                  "umap", "--dims", "2", "--threads", str(args.threads), "--seed", str(args.seed),
                                                  "--force"]))
                y = heads.read_safetensors(os.path.join(run, "layouts", "umap-2d.safetensors"), f"l{layer}.h{head}")
                trust[label] = trustworthiness(x[sample], y[sample], n_neighbors=10, metric="cosine")
                with open(os.path.join(run, "layouts", "metrics.json")) as f:
                    figures = json.load(f)["heads"][f"l{layer}.h{head}"]
                entropy[label] = figures.get("cross_entropy", {}).get("umap-2d", float("nan"))
                print(f"  {label}: {cpu[label][-1]:.2f} s CPU, trustworthiness {trust[label]:.4f}", flush=True)
        first = statistics.median(cpu["attnviz"])
        for label in binaries:
            median = statistics.median(cpu[label])
            rows.append([name, label, median, cpu[label], median / first, trust[label], entropy[label]])
    print(f"\nthreads {args.threads}, seed {args.seed}; load average at the end {heads.load_average():.1f}")
    print("| head | binary | CPU s (median) | runs | ratio to attnviz | trustworthiness | cross-entropy |")
    print("| --- | --- | ---: | --- | ---: | ---: | ---: |")
    for name, label, median, runs, ratio, tw, ce in rows:
        print(f"| {name} | {label} | {median:.2f} | {', '.join(f'{s:.2f}' for s in runs)} | {ratio:.2f} | "
              f"{tw:.4f} | {ce:.4g} |")


if __name__ == "__main__":
    sys.exit(main())
