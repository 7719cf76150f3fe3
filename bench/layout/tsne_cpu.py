#!/usr/bin/python3
"""One-thread CPU time and KL of attnviz's t-SNE, a new binary beside an old one, on the benchmark heads.

On a machine shared with other work, wall-clock seconds measure the load; the CPU time of a one-thread command
measures the method. For every head (bench/layout/heads.py makes the runs) and repeat, each binary runs the whole
`attnviz layout RUN --heads L:H --methods tsne --dims D --threads 1 --force` command one after the other; its CPU
time is user + system of the process (getrusage of the child). Printed per binary and head: the median CPU
seconds over the repeats (and every run), the iterations and KL attnviz reports (metrics.json), and the KL of
the layout under one P computed by bench/layout/kl.py (exact neighbours, exact Z), the one measure of quality
for every layout. attnviz is deterministic, so KL and iterations are of the first repeat.

Usage: /usr/bin/python3 bench/layout/tsne_cpu.py --attnviz NEW [--before OLD] [--heads brown-gpt:2:3,...]
         [--dims 2] [--repeats 3] [--work DIR]
"""
import argparse
import json
import os
import statistics
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import heads  # noqa: E402
import kl  # noqa: E402

DEFAULT_HEADS = "brown-gpt:2:3,brown-gpt:0:3,brown-gpt:5:6,brown-gpt:3:1,mnist-vit:2:1"


def one_thread_layout(attnviz, run, layer, head, dim):
    """Runs the command; returns (CPU seconds, layout, its metrics.json figures for the layout)."""
    command = [attnviz, "layout", run, "--heads", f"{layer}:{head}", "--methods", "tsne", "--dims", str(dim),
               "--threads", "1", "--force"]
    seconds = heads.cpu_seconds(command)
    name = f"tsne-{dim}d"
    layout = heads.read_safetensors(os.path.join(run, "layouts", f"{name}.safetensors"), f"l{layer}.h{head}")
    with open(os.path.join(run, "layouts", "metrics.json")) as f:
        figures = json.load(f)["heads"][f"l{layer}.h{head}"]
    return seconds, layout, {g: figures[g][name] for g in ("kl", "iterations")}


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--attnviz", default=os.path.join(heads.ROOT, "build", "attnviz"))
    parser.add_argument("--before", default=None, help="an older binary, run beside the new one")
    parser.add_argument("--heads", default=DEFAULT_HEADS, help="model:layer:head,...")
    parser.add_argument("--dims", type=int, default=2, choices=[2, 3])
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--work", default=None, help="folder for the runs (kept; default: a new temporary one)")
    args = parser.parse_args()
    work, binaries = heads.side_by_side(args, "attnviz-bench-tsne-cpu-")
    rows = []
    for name, run, layer, head, x in heads.benchmark_heads(args.attnviz, args.heads, work):
        cpu = {b: [] for b in binaries}
        first = {}
        for repeat in range(args.repeats):
            print(f"{name}: repeat {repeat + 1}, load average {heads.load_average():.1f}", flush=True)
            for binary, path in binaries.items():
                seconds, layout, figures = one_thread_layout(path, run, layer, head, args.dims)
                cpu[binary].append(seconds)
                first.setdefault(binary, (layout, figures))
                print(f"  {binary}: {seconds:.2f} s CPU, {figures['iterations']} iterations", flush=True)
        p = kl.affinities(x)
        for binary in binaries:
            layout, figures = first[binary]
            rows.append([name, binary, statistics.median(cpu[binary]), cpu[binary], figures["iterations"],
                         figures["kl"], kl.kl_divergence(p, layout)])
    print("\n| head | binary | CPU s (median) | runs | iterations | KL (reported) | KL (kl.py) |")
    print("| --- | --- | ---: | --- | ---: | ---: | ---: |")
    for name, binary, median, runs, iterations, reported, exact in rows:
        listed = ", ".join(f"{s:.2f}" for s in runs)
        print(f"| {name} | {binary} | {median:.2f} | {listed} | {iterations} | {reported:.3f} | {exact:.3f} |")


if __name__ == "__main__":
    sys.exit(main())
