#!/usr/bin/python3
"""attnviz layout vs scikit-learn t-SNE / PCA and umap-learn, side by side on the same matrix.

One head (layer 2, head 1) of models/mnist-vit over the first 200 held-out digits of data/mnist_test.bin:
200 x 50 tokens -> 10,000 queries + 10,000 keys = 20,000 points of dimension 32, normalised as attnviz does
(keys s.k + c, queries q / s: centroids meet and mean norms match; src/layout/normalise.hpp).
attnviz is timed as the whole `attnviz layout` command (process start, reading the run, normalisation, kNN,
layout and its metrics); the references as their fit calls. Trustworthiness: k = 10 on the same 3,000-point
sample for everyone, cosine distance in input space (sklearn.manifold.trustworthiness).

Usage: /usr/bin/python3 bench/layout/compare.py [--attnviz build/attnviz] [--threads 2] [--skip-references]
"""
import argparse
import json
import os
import struct
import subprocess
import sys
import tempfile
import time

import numpy as np
from PIL import Image

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
LAYER, HEAD, DIGITS = 2, 1, 200


def read_safetensors(path, name):
    with open(path, "rb") as f:
        size = struct.unpack("<Q", f.read(8))[0]
        header = json.loads(f.read(size))
        info = header[name]
        begin, end = info["data_offsets"]
        f.seek(8 + size + begin)
        data = f.read(end - begin)
    dtype = {"F32": np.float32, "F16": np.float16}[info["dtype"]]
    return np.frombuffer(data, dtype=dtype).astype(np.float32).reshape(info["shape"])


def normalise(q, k):
    """Keys s.k + c, queries q / s with c = mean(q) / s - s mean(k) and s solving mean|q| = s^2 mean|k'|."""
    mq, mk = q.mean(0), k.mean(0)
    qn = np.linalg.norm(q, axis=1).mean()
    g = lambda s: qn - np.linalg.norm(s * s * (k - mk) + mq, axis=1).mean()
    lo, hi = 1e-6, 1e6
    for _ in range(100):
        mid = np.sqrt(lo * hi)
        lo, hi = (mid, hi) if g(mid) > 0 else (lo, mid)
    s = np.sqrt(lo * hi)
    return np.concatenate([q / s, s * k + (mq / s - s * mk)]).astype(np.float32)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--attnviz", default=os.path.join(ROOT, "build", "attnviz"))
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--skip-references", action="store_true")
    args = parser.parse_args()
    work = tempfile.mkdtemp(prefix="attnviz-bench-layout-")
    with open(os.path.join(ROOT, "data", "mnist_test.bin"), "rb") as f:
        n = struct.unpack("<I", f.read(4))[0]
        pixels = np.frombuffer(f.read(n * 784), dtype=np.uint8).reshape(n, 28, 28)
    os.makedirs(os.path.join(work, "digits"))
    for i in range(DIGITS):
        Image.fromarray(pixels[i]).save(os.path.join(work, "digits", f"digit{i:03d}.png"))
    run = os.path.join(work, "run")
    subprocess.run([args.attnviz, "extract", "--model", os.path.join(ROOT, "models", "mnist-vit"), "--input",
                    os.path.join(work, "digits"), "--out", run, "--dtype", "f32", "--threads", str(args.threads)],
                   check=True)
    qk = os.path.join(run, "qk.safetensors")
    x = normalise(read_safetensors(qk, f"l{LAYER}.q")[HEAD], read_safetensors(qk, f"l{LAYER}.k")[HEAD])
    np.save(os.path.join(work, "points.npy"), x)
    sample = np.random.default_rng(0).choice(len(x), 3000, replace=False)
    print(f"points: {x.shape[0]} x {x.shape[1]} (saved to {work}/points.npy)", flush=True)

    from sklearn.manifold import trustworthiness
    rows = []

    def report(name, seconds, y):
        t = trustworthiness(x[sample], y[sample], n_neighbors=10, metric="cosine")
        rows.append((name, seconds, t))
        print(f"{name:28s} {seconds:8.2f} s   trustworthiness {t:.3f}", flush=True)

    for method in ["pca", "tsne", "umap"]:
        start = time.perf_counter()
        subprocess.run([args.attnviz, "layout", run, "--heads", f"{LAYER}:{HEAD}", "--methods", method, "--dims", "2",
                        "--threads", str(args.threads), "--force"], check=True, stderr=subprocess.DEVNULL)
        seconds = time.perf_counter() - start
        with open(os.path.join(run, "layouts", "metrics.json")) as f:
            inner = json.load(f)["heads"][f"l{LAYER}.h{HEAD}"]["seconds"][f"{method}-2d"]
        print(f"attnviz {method}: {inner:.3f} s in the layout itself (kNN included), {seconds:.2f} s the command")
        report(f"attnviz {method}", seconds,
               read_safetensors(os.path.join(run, "layouts", f"{method}-2d.safetensors"), f"l{LAYER}.h{HEAD}"))
    if not args.skip_references:
        from sklearn.decomposition import PCA
        from sklearn.manifold import TSNE
        import umap
        start = time.perf_counter()
        y = PCA(n_components=2).fit_transform(x)
        report("scikit-learn PCA", time.perf_counter() - start, y)
        umap.UMAP(n_neighbors=10, min_dist=0.1, metric="cosine").fit_transform(x[:2000])  # JIT warm-up
        start = time.perf_counter()
        y = umap.UMAP(n_neighbors=10, min_dist=0.1, metric="cosine").fit_transform(x)
        report("umap-learn", time.perf_counter() - start, y)
        start = time.perf_counter()
        y = TSNE(n_components=2, perplexity=20, n_iter=1000, metric="cosine", init="pca", learning_rate="auto",
                 n_jobs=2, random_state=0).fit_transform(x)
        report("scikit-learn t-SNE", time.perf_counter() - start, y)
    print("\n| method | seconds | trustworthiness |\n|---|---:|---:|")
    for name, seconds, t in rows:
        print(f"| {name} | {seconds:.2f} | {t:.3f} |")


if __name__ == "__main__":
    sys.exit(main())
