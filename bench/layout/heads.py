"""The benchmark heads, shared by bench/layout's scripts: runs made with `attnviz extract` and one head's
points normalised as attnviz normalises them (keys s.k + c, queries q / s: centroids meet and mean norms
match; src/layout/normalise.hpp).

- mnist-vit over the first 200 held-out digits of data/mnist_test.bin: 200 x 50 tokens, 20,000 points a head
  of dimension 32 (the benchmark head is layer 2 head 1);
- brown-gpt over the first 300 lines of data/brown_eval.txt (as the demo and bench/layout/job.sh): 298
  sentences, 8,464 tokens, 16,928 points a head of dimension 32.
"""
import json
import os
import struct
import subprocess

import numpy as np

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
MNIST_DIGITS, BROWN_LINES = 200, 300


def load_average():
    return os.getloadavg()[0]


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


def make_run(attnviz, model, work, threads=2):
    """Extracts the benchmark dataset of model ("mnist-vit" or "brown-gpt") into work/model; returns the run."""
    run = os.path.join(work, model)
    if os.path.exists(os.path.join(run, "qk.safetensors")):
        return run
    if model == "mnist-vit":
        from PIL import Image
        with open(os.path.join(ROOT, "data", "mnist_test.bin"), "rb") as f:
            n = struct.unpack("<I", f.read(4))[0]
            pixels = np.frombuffer(f.read(n * 784), dtype=np.uint8).reshape(n, 28, 28)
        inputs = os.path.join(work, "digits")
        os.makedirs(inputs, exist_ok=True)
        for i in range(MNIST_DIGITS):
            Image.fromarray(pixels[i]).save(os.path.join(inputs, f"digit{i:03d}.png"))
    else:
        inputs = os.path.join(work, "brown.txt")
        with open(os.path.join(ROOT, "data", "brown_eval.txt")) as f, open(inputs, "w") as out:
            out.writelines(line for _, line in zip(range(BROWN_LINES), f))
    subprocess.run([attnviz, "extract", "--model", os.path.join(ROOT, "models", model), "--input", inputs, "--out",
                    run, "--dtype", "f32", "--threads", str(threads)], check=True, stderr=subprocess.DEVNULL)
    return run


def head_points(run, layer, head):
    """The head's normalised points [2N, head_dim]: queries then keys."""
    qk = os.path.join(run, "qk.safetensors")
    with open(os.path.join(run, "manifest.json")) as f:
        model = json.load(f)["model"]
    kv_head = head // (model["num_heads"] // model.get("num_kv_heads", model["num_heads"]))
    return normalise(read_safetensors(qk, f"l{layer}.q")[head], read_safetensors(qk, f"l{layer}.k")[kv_head])


def benchmark_heads(attnviz, specs, work, threads=2):
    """Yields (name, run, layer, head, points) for each "model:layer:head" of the comma-separated specs."""
    for spec in specs.split(","):
        model, layer, head = spec.split(":")
        layer, head = int(layer), int(head)
        run = make_run(attnviz, model, work, threads)
        yield f"{model} l{layer}h{head}", run, layer, head, head_points(run, layer, head)


def time_tools(name, tools, repeats):
    """Runs every tool ({name: call returning a layout}) once per repeat, one after the other, each after a
    second's pause (the previous tool's idle threads can spin for a while: OpenBLAS's after scikit-learn's
    PCA added 0.03 s to the next command); returns ({tool: [seconds per repeat]}, {tool: [layout per
    repeat]})."""
    import time
    seconds = {tool: [] for tool in tools}
    layouts = {tool: [] for tool in tools}
    for repeat in range(repeats):
        print(f"{name}: repeat {repeat + 1}, load average {load_average():.1f}", flush=True)
        for tool, call in tools.items():
            time.sleep(1)
            start = time.perf_counter()
            layouts[tool].append(call())
            seconds[tool].append(time.perf_counter() - start)
            print(f"  {tool}: {seconds[tool][-1]:.2f} s", flush=True)
    return seconds, layouts


def attnviz_layout(attnviz, run, layer, head, method, dim, threads=2):
    """Runs the whole `attnviz layout` command for one head and layout; returns (seconds, layout)."""
    import time
    start = time.perf_counter()
    subprocess.run([attnviz, "layout", run, "--heads", f"{layer}:{head}", "--methods", method, "--dims", str(dim),
                    "--threads", str(threads), "--force"], check=True, stderr=subprocess.DEVNULL)
    seconds = time.perf_counter() - start
    return seconds, read_safetensors(os.path.join(run, "layouts", f"{method}-{dim}d.safetensors"), f"l{layer}.h{head}")


def cpu_seconds(command):
    """Runs command (exits with its status if it fails); returns the user + system seconds it used, which hold
    on a machine shared with other work where wall seconds measure the load."""
    process = subprocess.Popen(command, stderr=subprocess.DEVNULL)
    _, status, usage = os.wait4(process.pid, 0)
    if status != 0:
        raise SystemExit(f"{' '.join(command)} failed (status {status})")
    return usage.ru_utime + usage.ru_stime


def side_by_side(args, prefix):
    """The work folder (args.work, or a new temporary one) and the binaries to compare ({"attnviz": NEW} and
    "before": OLD when given), for the scripts that time one binary beside another."""
    import tempfile
    work = args.work or tempfile.mkdtemp(prefix=prefix)
    os.makedirs(work, exist_ok=True)
    binaries = {"attnviz": args.attnviz}
    if args.before:
        binaries["before"] = args.before
    print(f"work folder {work}; load average {load_average():.1f}", flush=True)
    return work, binaries
