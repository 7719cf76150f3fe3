#!/usr/bin/python3
"""attnviz t-SNE vs FIt-SNE (250 and 750 iterations) and scikit-learn, side by side on benchmark heads.

For every head (bench/layout/heads.py makes the runs): the whole `attnviz layout RUN --heads L:H --methods tsne
--dims 2 --threads T --force` command (process start, reading, normalisation, kNN, t-SNE, metrics) against
FIt-SNE's whole call through its own Python wrapper (writing its input, kNN, P, optimisation, reading the result;
../shared/anchors, built by its build-fitsne.sh) and scikit-learn's TSNE.fit_transform, every tool at perplexity
20 with cosine input distances (FIt-SNE on unit rows, which gives the same P), PCA initialisation, T threads.
- seconds: median of --repeats runs, one tool after the other within each repeat; the load average before each
  repeat is printed, as the machine may be shared;
- KL: KL(P || Q) under one P for every layout, computed by bench/layout/kl.py (exact neighbours, exact Z);
- trustworthiness: k = 10, cosine, on the same 3,000-point sample for every layout (scikit-learn's).
KL and trustworthiness are of each tool's first repeat (attnviz is deterministic; FIt-SNE and scikit-learn
seeded).

Usage: /usr/bin/python3 bench/layout/tsne_compare.py [--attnviz build/attnviz] [--fitsne /tmp/fitsne]
         [--heads mnist-vit:2:1,brown-gpt:2:3,...] [--repeats 3] [--threads 2] [--skip-sklearn] [--work DIR]
"""
import argparse
import os
import statistics
import sys
import tempfile

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import heads  # noqa: E402
import kl  # noqa: E402

DEFAULT_HEADS = "mnist-vit:2:1,brown-gpt:2:3,brown-gpt:0:3,brown-gpt:5:6,brown-gpt:3:1"
FITSNE_RUNS = {"FIt-SNE 250": (250, 100), "FIt-SNE 750": (750, 250)}  # iterations, exaggerated ones


def fitsne_call(fitsne_dir, unit, iterations, exaggerated, threads):
    sys.path.insert(0, fitsne_dir)
    from fast_tsne import fast_tsne
    here = os.getcwd()
    os.chdir(fitsne_dir)  # the wrapper writes its input and reads its result in the current folder
    try:
        return fast_tsne(unit, perplexity=20, max_iter=iterations, stop_early_exag_iter=exaggerated,
                         nthreads=threads, seed=1, knn_algo="vp-tree")
    finally:
        os.chdir(here)


def sklearn_call(x, threads):
    from sklearn.manifold import TSNE
    return TSNE(n_components=2, perplexity=20, n_iter=1000, metric="cosine", init="pca", learning_rate="auto",
                n_jobs=threads, random_state=0).fit_transform(x)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--attnviz", default=os.path.join(heads.ROOT, "build", "attnviz"))
    parser.add_argument("--fitsne", default="/tmp/fitsne", help="folder made by ../shared/anchors/build-fitsne.sh")
    parser.add_argument("--heads", default=DEFAULT_HEADS, help="model:layer:head,...")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--skip-sklearn", action="store_true")
    parser.add_argument("--work", default=None, help="folder for the runs (kept; default: a new temporary one)")
    args = parser.parse_args()
    work = args.work or tempfile.mkdtemp(prefix="attnviz-bench-tsne-")
    os.makedirs(work, exist_ok=True)
    if not os.path.exists(os.path.join(args.fitsne, "bin", "fast_tsne")):
        sys.exit(f"no FIt-SNE in {args.fitsne}: run ../shared/anchors/build-fitsne.sh {args.fitsne}")
    print(f"work folder {work}; load average {heads.load_average():.1f}", flush=True)
    table = []
    for name, run, layer, head, x in heads.benchmark_heads(args.attnviz, args.heads, work, args.threads):
        unit = (x / np.linalg.norm(x, axis=1, keepdims=True)).astype(np.float64)
        tools = {"attnviz": lambda: heads.attnviz_layout(args.attnviz, run, layer, head, "tsne", 2, args.threads)[1]}
        for tool, (iterations, exaggerated) in FITSNE_RUNS.items():
            tools[tool] = lambda i=iterations, e=exaggerated: fitsne_call(args.fitsne, unit, i, e, args.threads)
        if not args.skip_sklearn:
            tools["scikit-learn"] = lambda: sklearn_call(x, args.threads)
        seconds, layouts = heads.time_tools(name, tools, args.repeats)
        first = {tool: layouts[tool][0] for tool in tools}
        p = kl.affinities(x)
        sample = np.random.default_rng(0).choice(len(x), 3000, replace=False)
        from sklearn.manifold import trustworthiness
        reference = None
        for tool in tools:
            divergence = kl.kl_divergence(p, first[tool])
            tw = trustworthiness(x[sample], first[tool][sample], n_neighbors=10, metric="cosine")
            median = statistics.median(seconds[tool])
            if tool == "FIt-SNE 750":
                reference = (median, divergence)
            table.append([name, tool, median, seconds[tool], divergence, tw])
            print(f"  {tool}: median {median:.2f} s, KL {divergence:.4f}, trustworthiness {tw:.3f}", flush=True)
        for row in table:
            if row[0] == name:
                row += [row[4] / reference[1], reference[0] / row[2]]
    print("\n| head | tool | seconds (median) | runs | KL | KL / FIt-SNE 750 | FIt-SNE 750 time / time | trustworthiness |")
    print("| --- | --- | ---: | --- | ---: | ---: | ---: | ---: |")
    for name, tool, median, runs, divergence, tw, kl_ratio, speed in table:
        listed = ", ".join(f"{s:.1f}" for s in runs)
        print(f"| {name} | {tool} | {median:.2f} | {listed} | {divergence:.3f} | {kl_ratio:.3f} | {speed:.1f}× | {tw:.3f} |")


if __name__ == "__main__":
    sys.exit(main())
