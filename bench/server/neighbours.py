#!/usr/bin/python3
"""GET /api/neighbours at scale, beside the same answer computed by numpy (docs/benchmarks.md).

Makes a synthetic run (bench/web/make_synthetic_run.mjs: 1 layer x 2 heads, TOKENS tokens = 2*TOKENS points,
head_dim 64, F16, a stored PCA 2D layout), serves it with BIN, and for query and key points asks for K
neighbours REPEAT times each, timing the whole HTTP request on a kept-alive connection; beside it, numpy's
brute force over the same vectors (F16 -> float32, q.K^T, argpartition, distances in the layout, ranks by
searchsorted) with the vectors already in memory. Prints the median per case, the ratio, the server's CPU
time per request over 20 more requests (from /proc: what other work on the machine disturbs least), and the
load average; checks that both give the same neighbours.
Usage: bench/server/neighbours.py [--bin build/attnviz] [--tokens 10000] [--repeat 3] [--k 10,1000]
"""
import argparse, http.client, json, os, shutil, socket, statistics, struct, subprocess, sys, tempfile, time

import numpy as np


def read_safetensors(path):
    with open(path, "rb") as f:
        size = struct.unpack("<Q", f.read(8))[0]
        header = json.loads(f.read(size))
        data = f.read()
    dtypes = {"F16": np.float16, "F32": np.float32}
    out = {}
    for name, t in header.items():
        if name == "__metadata__":
            continue
        a, b = t["data_offsets"]
        out[name] = np.frombuffer(data[a:b], dtype=dtypes[t["dtype"]]).reshape(t["shape"])
    return out


def numpy_neighbours(q, k, layout, scale, point, n, count):
    """The reference: top `count` partners of joint point `point` and their ranks among its kind in layout."""
    query = point < n
    self = q[point] if query else k[point - n]
    others = k if query else q
    scores = (others @ self) * scale
    top = np.argpartition(-scores, count - 1)[:count]
    top = top[np.lexsort((top, -scores[top]))]
    first = n if query else 0
    d = ((layout[first:first + n] - layout[point]) ** 2).sum(axis=1)
    ranks = 1 + np.searchsorted(np.sort(d), d[top], side="left")
    return [int(first + j) for j in top], ranks


def cpu_seconds(pid):
    """User + system CPU time of a process so far."""
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--bin", default="build/attnviz")
    p.add_argument("--tokens", type=int, default=10000)
    p.add_argument("--repeat", type=int, default=3)
    p.add_argument("--k", default="10,1000")
    args = p.parse_args()
    root = os.path.dirname(os.path.abspath(__file__)) + "/../.."
    work = tempfile.mkdtemp()
    server = None
    try:
        run = work + "/run"
        subprocess.run(["node", root + "/bench/web/make_synthetic_run.mjs", run, "--layers", "1", "--heads", "2",
                        "--tokens", str(args.tokens), "--head-dim", "64", "--layouts", "pca-2d"],
                       check=True, stdout=subprocess.DEVNULL)
        s = socket.socket()
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
        s.close()
        server = subprocess.Popen([args.bin, "serve", run, "--port", str(port)], stdout=subprocess.DEVNULL,
                                  stderr=subprocess.DEVNULL)
        conn = http.client.HTTPConnection("127.0.0.1", port)
        for _ in range(100):
            try:
                conn.request("GET", "/api/run")
                conn.getresponse().read()
                break
            except OSError:
                conn.close()
                time.sleep(0.1)
        qk = read_safetensors(run + "/qk.safetensors")
        layout = read_safetensors(run + "/layouts/pca-2d.safetensors")["l0.h1"].astype(np.float32)
        manifest = json.load(open(run + "/manifest.json"))
        scale = np.float32(manifest["model"]["attention_scale"])
        q = qk["l0.q"][1].astype(np.float32)
        kv = 1 // (manifest["model"]["num_heads"] // manifest["model"]["num_kv_heads"])
        k = qk["l0.k"][kv].astype(np.float32)
        n = args.tokens
        print(f"{2 * n} points, head_dim 64, load average {os.getloadavg()[0]:.2f}")
        print("| point | k | attnviz (HTTP, ms) | numpy (in memory, ms) | ratio | server CPU per request (ms) |")
        print("|---|---|---|---|---|---|")
        for count in [int(c) for c in args.k.split(",")]:
            for kind, point in (("query", 123), ("key", n + 4567)):
                served, ref = [], []
                for _ in range(args.repeat):
                    t = time.perf_counter()
                    conn.request("GET", f"/api/neighbours/0/1/{point}?k={count}&layout=pca-2d")
                    reply = conn.getresponse()
                    body = reply.read()
                    served.append(time.perf_counter() - t)
                    assert reply.status == 200, body
                    t = time.perf_counter()
                    points, ranks = numpy_neighbours(q, k, layout, scale, point, n, count)
                    ref.append(time.perf_counter() - t)
                got = json.loads(body)["neighbours"]
                same = sum(a["point"] == b for a, b in zip(got, points))
                if same < 0.99 * count:  # float32 sums in another order may swap near-equal scores
                    sys.exit(f"neighbours differ from numpy's for point {point}: {same}/{count} equal")
                cpu = cpu_seconds(server.pid)
                for _ in range(20):
                    conn.request("GET", f"/api/neighbours/0/1/{point}?k={count}&layout=pca-2d")
                    conn.getresponse().read()
                cpu = (cpu_seconds(server.pid) - cpu) / 20 * 1e3
                a, b = statistics.median(served) * 1e3, statistics.median(ref) * 1e3
                print(f"| {kind} {point} | {count} | {a:.2f} | {b:.2f} | {a / b:.2f} | {cpu:.2f} |")
        print(f"load average after: {os.getloadavg()[0]:.2f}")
    finally:
        if server:
            server.terminate()
            server.wait()
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
