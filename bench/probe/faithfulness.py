#!/usr/bin/env python3
"""Faithfulness of probe placement on held-out sentences (issue 13; docs/benchmarks.md, "Probes").

For a query, its 10 nearest dataset keys in a head's 2D t-SNE layout should be among the 10 dataset keys it
has the highest q.k with. Reported over every head of the run, as the mean overlap (0..1):
  - probes: each query of HELDOUT sentences (not in the run) probed through a running `attnviz serve`, placed
    with /api/probe/{id}/layout/tsne/2 (all heads at once);
  - dataset: the same number of the run's own queries (evenly strided), at their stored positions.
q.k ranks keys as attention does (the paper's normalisation translates keys and scales q and k, which keeps
each query's order), so the raw vectors are used: the run's from its qk.safetensors, the probes' from a run
extracted from the held-out sentences with the same model (the same forward pass the server's probe runs).
Usage: faithfulness.py PORT RUN HELDOUT_RUN [--sentences 20] [--k 10]
Needs numpy (/usr/bin/python3).
"""
import argparse
import json
import os
import struct

import numpy as np

from probe import call  # bench/probe/probe.py: a request, a float32 reply as an array


def read_qk(run_dir):
    """{name: float32 array} of RUN/qk.safetensors."""
    with open(os.path.join(run_dir, "qk.safetensors"), "rb") as f:
        size = struct.unpack("<Q", f.read(8))[0]
        header = json.loads(f.read(size))
        data = f.read()
    dtypes = {"F16": "<f2", "F32": "<f4", "BF16": None}
    tensors = {}
    for name, info in header.items():
        if name == "__metadata__":
            continue
        begin, end = info["data_offsets"]
        tensors[name] = np.frombuffer(data[begin:end], dtype=dtypes[info["dtype"]]).reshape(info["shape"])
    return {name: t.astype(np.float32) for name, t in tensors.items()}


def overlap(layout_queries, layout_keys, q, keys, k):
    """Mean |10 layout-nearest keys & 10 highest-q.k keys| / k over the rows of layout_queries / q."""
    d2 = ((layout_queries[:, None, :] - layout_keys[None, :, :]) ** 2).sum(-1)
    near = np.argpartition(d2, k, axis=1)[:, :k]
    top = np.argpartition(-(q @ keys.T), k, axis=1)[:, :k]
    return float(np.mean([len(set(a) & set(b)) / k for a, b in zip(near, top)]))


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("port", type=int)
    parser.add_argument("run")
    parser.add_argument("heldout_run")
    parser.add_argument("--sentences", type=int, default=20)
    parser.add_argument("--k", type=int, default=10)
    args = parser.parse_args()
    manifest = call(args.port, "/api/run")["manifest"]
    model = manifest["model"]
    layers, heads, n = model["num_layers"], model["num_heads"], manifest["qk"]["num_tokens"]
    group = heads // model["num_kv_heads"]
    data_qk, held_qk = read_qk(args.run), read_qk(args.heldout_run)
    held = json.load(open(os.path.join(args.heldout_run, "manifest.json")))["sequences"][:args.sentences]
    held_rows = np.concatenate([np.arange(s["first_token"], s["first_token"] + s["token_count"]) for s in held])
    # Probe each held-out sentence once; its placement in every head at once.
    placed = []  # per sentence: [L*H, 2T, 2]
    for s in held:
        p = call(args.port, "/api/probe", json.dumps({"text": s["text"]}).encode())
        if p["token_count"] != s["token_count"]:
            raise SystemExit(f"probe of {s['text']!r} has {p['token_count']} tokens, the run {s['token_count']}")
        placed.append(call(args.port, f"/api/probe/{p['id']}/layout/tsne/2"))
    data_rows = np.linspace(0, n - 1, len(held_rows)).astype(int)
    probe_scores, data_scores = [], []
    for layer in range(layers):
        for head in range(heads):
            i = layer * heads + head
            stored = call(args.port, f"/api/layout/tsne/2/{layer}/{head}")
            keys = data_qk[f"l{layer}.k"][head // group]
            layout_keys = stored[n:]
            probe_queries = np.concatenate([p[i, :p.shape[1] // 2] for p in placed])
            q_held = held_qk[f"l{layer}.q"][head][held_rows]
            probe_scores.append(overlap(probe_queries, layout_keys, q_held, keys, args.k))
            q_data = data_qk[f"l{layer}.q"][head][data_rows]
            data_scores.append(overlap(stored[data_rows], layout_keys, q_data, keys, args.k))
    print(f"load average: {os.getloadavg()[0]:.1f}")
    print(f"{len(held)} held-out sentences ({len(held_rows)} queries), {layers * heads} heads, k = {args.k}")
    print(f"mean overlap, probed held-out queries: {np.mean(probe_scores):.3f} "
          f"(per head min {np.min(probe_scores):.3f}, max {np.max(probe_scores):.3f})")
    print(f"mean overlap, dataset queries:         {np.mean(data_scores):.3f} "
          f"(per head min {np.min(data_scores):.3f}, max {np.max(data_scores):.3f})")


if __name__ == "__main__":
    main()
