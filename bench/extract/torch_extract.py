"""The PyTorch side of the extraction benchmarks: the same work as `attnviz extract`.

A plain PyTorch GPT-2 (transformers is not used) loads the checkpoint's safetensors (parsed by hand), runs the
JSONL input_ids in batches, captures every layer's q and k (after the bias, before the scale: what attention
dots) and writes them to OUT as float16, then prints one JSON line: tokens, seconds, tokens/s. It computes in
the checkpoint's dtype (float32, or bfloat16 as transformers' torch_dtype=bfloat16 does). This file also holds
what the other families' scripts (torch_llama.py, torch_encoders.py) share: the checkpoint loader, the command
line, the timed loop and the check of q and k against an attnviz run of the same inputs (--check RUN).

Usage: python3 torch_extract.py MODEL_DIR IDS.jsonl OUT_FILE [--threads T] [--batch B] [--check RUN]
"""
import argparse
import json
import math
import mmap
import os
import struct
import time
import warnings

import numpy as np
import torch
import torch.nn.functional as F

DTYPES = {"F32": (np.float32, torch.float32), "BF16": (np.int16, torch.bfloat16), "F16": (np.float16, torch.float16)}


def load_safetensors(path, prefix=""):
    """Every tensor of a safetensors file over the mapped file (no copy), in its stored dtype, names without
    prefix."""
    with open(path, "rb") as f:
        size = struct.unpack("<Q", f.read(8))[0]
        header = json.loads(f.read(size))
        mapped = mmap.mmap(f.fileno(), 0, access=mmap.ACCESS_READ)
    data = np.frombuffer(mapped, dtype=np.uint8, offset=8 + size)
    warnings.filterwarnings("ignore", "The given NumPy array is not writable")  # read-only: never written
    tensors = {}
    for name, info in header.items():
        if name == "__metadata__":
            continue
        numpy_type, torch_type = DTYPES[info["dtype"]]
        begin, end = info["data_offsets"]
        array = data[begin:end].view(numpy_type).reshape(info["shape"])
        tensors[name.removeprefix(prefix)] = torch.from_numpy(array).view(torch_type)
    return tensors


def read_config(model_dir):
    with open(os.path.join(model_dir, "config.json")) as f:
        return json.load(f)


def gelu_new(x):
    return 0.5 * x * (1.0 + torch.tanh(math.sqrt(2.0 / math.pi) * (x + 0.044715 * torch.pow(x, 3.0))))


class GPT2:
    def __init__(self, model_dir):
        c = read_config(model_dir)
        self.layers, self.heads, self.d = c["n_layer"], c["n_head"], c["n_embd"]
        self.eps = c.get("layer_norm_epsilon", 1e-5)
        self.w = load_safetensors(os.path.join(model_dir, "model.safetensors"), "transformer.")

    def ln(self, x, name):
        return F.layer_norm(x, (self.d,), self.w[name + ".weight"], self.w[name + ".bias"], self.eps)

    def conv1d(self, x, name):  # GPT-2's Conv1D: weight [in, out]
        return torch.addmm(self.w[name + ".bias"], x.reshape(-1, x.shape[-1]), self.w[name + ".weight"]).view(
            *x.shape[:-1], -1)

    def forward(self, ids, capture):
        """ids [B, T]; capture(layer, q, k) with q, k [B, heads, T, head_dim]; returns the hidden state [B, T, d]."""
        B, T = ids.shape
        hd = self.d // self.heads
        x = self.w["wte.weight"][ids] + self.w["wpe.weight"][:T]
        mask = torch.full((T, T), float("-inf")).triu(1).to(x.dtype)
        for i in range(self.layers):
            p = f"h.{i}."
            qkv = self.conv1d(self.ln(x, p + "ln_1"), p + "attn.c_attn")
            q, k, v = (t.view(B, T, self.heads, hd).transpose(1, 2) for t in qkv.split(self.d, dim=2))
            capture(i, q, k)
            scores = torch.softmax(q @ k.transpose(-1, -2) / math.sqrt(hd) + mask, dim=-1)
            a = (scores @ v).transpose(1, 2).reshape(B, T, self.d)
            x = x + self.conv1d(a, p + "attn.c_proj")
            x = x + self.conv1d(gelu_new(self.conv1d(self.ln(x, p + "ln_2"), p + "mlp.c_fc")), p + "mlp.c_proj")
        return self.ln(x, "ln_f")


def blas_library():
    """The BLAS shared library torch actually loaded (after one matmul)."""
    torch.ones(64, 64) @ torch.ones(64, 64)
    with open("/proc/self/maps") as f:
        libs = {line.split()[-1] for line in f if "blas" in line.lower()}
    return sorted(libs)


def read_input_ids(path):
    """The JSONL file's input_ids, one LongTensor [T] each."""
    with open(path) as f:
        return [torch.tensor(json.loads(line)["input_ids"], dtype=torch.long) for line in f if line.strip()]


def read_run_qk(run, layer, tokens):
    """q [heads, tokens, head_dim] and k of one layer's first `tokens` rows in an attnviz run's qk.safetensors."""
    path = os.path.join(run, "qk.safetensors")
    with open(path, "rb") as f:
        size = struct.unpack("<Q", f.read(8))[0]
        header = json.loads(f.read(size))
    data = np.memmap(path, dtype=np.uint8, mode="r", offset=8 + size)
    out = []
    for name in (f"l{layer}.q", f"l{layer}.k"):
        info = header[name]
        begin, end = info["data_offsets"]
        numpy_type = {"F16": np.float16, "F32": np.float32}[info["dtype"]]
        out.append(torch.from_numpy(data[begin:end].view(numpy_type).reshape(info["shape"])[:, :tokens].astype(np.float32)))
    return out


def qk_error(captured, run):
    """The largest difference between this side's q/k of the first input and the attnviz run's, relative to the
    largest magnitude of the layer's vectors, over every layer."""
    worst = 0.0
    for layer, (q, k) in enumerate(captured):
        for mine, theirs in zip((q, k), read_run_qk(run, layer, q.shape[1])):
            worst = max(worst, ((mine - theirs).abs().max() / theirs.abs().max()).item())
    return worst


def run_extraction(model, argv=None, default_batch=16, warm_up=False, read_inputs=read_input_ids):
    """The benchmark's command line and timed loop for any model with forward(inputs, capture), inputs a batch
    stacked from read_inputs(path)'s tensors; prints the JSON line. warm_up: one untimed pass over the first
    input first (pages a mapped checkpoint in), which also gives --check its q and k."""
    parser = argparse.ArgumentParser()
    parser.add_argument("model")
    parser.add_argument("inputs")
    parser.add_argument("out")
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--batch", type=int, default=default_batch)
    parser.add_argument("--check", help="an attnviz run of the same inputs: report q/k's largest relative difference")
    args = parser.parse_args(argv)
    torch.set_num_threads(args.threads)
    model = model(args.model)
    inputs = read_inputs(args.inputs)
    result = {}
    if warm_up or args.check:
        captured = []
        with torch.inference_mode():
            model.forward(inputs[0][None], lambda layer, q, k: captured.append((q[0].float(), k[0].float())))
        if args.check:
            result["qk_relative_error"] = qk_error(captured, args.check)
    start = time.perf_counter()
    tokens = 0
    with torch.inference_mode(), open(args.out, "wb") as out:
        def capture(layer, q, k):
            out.write(q.to(torch.float16).numpy().tobytes())
            out.write(k.to(torch.float16).numpy().tobytes())

        for b in range(0, len(inputs), args.batch):
            batch = inputs[b:b + args.batch]
            assert len({x.shape for x in batch}) == 1, "the benchmark's inputs share one shape"
            hidden = model.forward(torch.stack(batch), capture)  # [B, T, d]
            tokens += hidden.shape[0] * hidden.shape[1]
    seconds = time.perf_counter() - start
    print(json.dumps({"tokens": tokens, "seconds": seconds, "tokens_per_s": tokens / seconds,
                      "threads": torch.get_num_threads(), "blas": blas_library(), **result}))


def main():
    run_extraction(GPT2)

if __name__ == "__main__":
    main()
