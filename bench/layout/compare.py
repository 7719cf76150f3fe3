#!/usr/bin/python3
"""attnviz UMAP and PCA vs umap-learn and scikit-learn PCA, side by side on benchmark heads (t-SNE:
bench/layout/tsne_compare.py).

For every head (bench/layout/heads.py makes the runs): the whole `attnviz layout RUN --heads L:H --methods M
--dims 2 --threads T --force` command (process start, reading, normalisation, kNN, layout, metrics) against
the reference's fit call on the same normalised points, at equal parameters: umap-learn 0.5 with n_neighbors
10, min_dist 0.1, cosine (its JIT warmed on 2,000 points first; umap-learn is not seeded, so it runs in
parallel), scikit-learn's PCA. umap-learn also runs on one numba thread ("umap-learn, 1 thread"): on these
shared virtual machines its parallel code can take longer on two threads than on one (busy-waiting numba
threads), so a fair ratio takes the better of its two rows.
- seconds: median of --repeats runs, one tool after the other within each repeat (load average printed);
- trustworthiness: k = 10, cosine, on the same 3,000-point sample for every layout, median over the repeats
  (umap-learn's layouts differ from run to run).

--before BIN adds a second attnviz (e.g. the binary before a change) as "attnviz UMAP (before)", timed in the
same repeats, so that a change is measured side by side under the same load.

Usage: /usr/bin/python3 bench/layout/compare.py [--attnviz build/attnviz] [--before BIN]
         [--heads mnist-vit:2:1,...] [--repeats 3] [--threads 2] [--work DIR]
"""
import argparse
import os
import statistics
import sys
import tempfile

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import heads  # noqa: E402

DEFAULT_HEADS = "mnist-vit:2:1,brown-gpt:2:3,brown-gpt:0:3,brown-gpt:5:6"


def one_numba_thread(numba, call):
    """call() with numba's parallel loops on one thread, then the thread count as it was."""
    threads = numba.get_num_threads()
    numba.set_num_threads(1)
    try:
        return call()
    finally:
        numba.set_num_threads(threads)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--attnviz", default=os.path.join(heads.ROOT, "build", "attnviz"))
    parser.add_argument("--before", default=None, help="another attnviz binary to time beside --attnviz")
    parser.add_argument("--heads", default=DEFAULT_HEADS, help="model:layer:head,...")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--work", default=None, help="folder for the runs (kept; default: a new temporary one)")
    args = parser.parse_args()
    work = args.work or tempfile.mkdtemp(prefix="attnviz-bench-layout-")
    os.makedirs(work, exist_ok=True)
    from sklearn.decomposition import PCA
    from sklearn.manifold import trustworthiness
    import numba
    import umap
    print(f"work folder {work}; load average {heads.load_average():.1f}", flush=True)
    table = []
    for name, run, layer, head, x in heads.benchmark_heads(args.attnviz, args.heads, work, args.threads):
        sample = np.random.default_rng(0).choice(len(x), 3000, replace=False)
        umap.UMAP(n_neighbors=10, min_dist=0.1, metric="cosine").fit_transform(x[:2000])  # JIT warm-up
        tools = {
            "attnviz UMAP": lambda: heads.attnviz_layout(args.attnviz, run, layer, head, "umap", 2, args.threads)[1],
            "umap-learn": lambda: umap.UMAP(n_neighbors=10, min_dist=0.1, metric="cosine").fit_transform(x),
            "umap-learn, 1 thread": lambda: one_numba_thread(
                numba, lambda: umap.UMAP(n_neighbors=10, min_dist=0.1, metric="cosine").fit_transform(x)),
            "attnviz PCA": lambda: heads.attnviz_layout(args.attnviz, run, layer, head, "pca", 2, args.threads)[1],
            "scikit-learn PCA": lambda: PCA(n_components=2).fit_transform(x),
        }
        if args.before:
            tools["attnviz UMAP (before)"] = lambda: heads.attnviz_layout(args.before, run, layer, head, "umap", 2,
                                                                          args.threads)[1]
        seconds, layouts = heads.time_tools(name, tools, args.repeats)
        for tool in tools:
            trust = [trustworthiness(x[sample], y[sample], n_neighbors=10, metric="cosine") for y in layouts[tool]]
            table.append([name, tool, seconds[tool], trust])
    print("\n| head | tool | seconds (median) | runs | trustworthiness (median) | runs |")
    print("| --- | --- | ---: | --- | ---: | --- |")
    for name, tool, runs, tws in table:
        print(f"| {name} | {tool} | {statistics.median(runs):.2f} | {', '.join(f'{s:.1f}' for s in runs)} | "
              f"{statistics.median(tws):.4f} | {', '.join(f'{t:.4f}' for t in tws)} |")


if __name__ == "__main__":
    sys.exit(main())
