"""The PyTorch side of the extraction benchmark: the same work as `attnviz extract`.

A plain PyTorch GPT-2 (transformers is not used) loads the checkpoint's safetensors (parsed by hand), runs the
JSONL input_ids in batches, captures every layer's q and k (after the bias, before the scale: what attention
dots) and writes them to OUT as float16, then prints one JSON line: tokens, seconds, tokens/s.

Usage: python3 torch_extract.py MODEL_DIR IDS.jsonl OUT_FILE [--threads T] [--batch B]
"""
import argparse
import json
import math
import os
import struct
import time

import numpy as np
import torch
import torch.nn.functional as F


def load_safetensors(path):
    with open(path, "rb") as f:
        size = struct.unpack("<Q", f.read(8))[0]
        header = json.loads(f.read(size))
    data = np.memmap(path, dtype=np.uint8, mode="r", offset=8 + size)
    tensors = {}
    for name, info in header.items():
        if name == "__metadata__":
            continue
        assert info["dtype"] == "F32", name
        begin, end = info["data_offsets"]
        array = np.frombuffer(data[begin:end], dtype="<f4").reshape(info["shape"])
        tensors[name.removeprefix("transformer.")] = torch.from_numpy(array.copy())
    return tensors


def gelu_new(x):
    return 0.5 * x * (1.0 + torch.tanh(math.sqrt(2.0 / math.pi) * (x + 0.044715 * torch.pow(x, 3.0))))


class GPT2:
    def __init__(self, model_dir):
        with open(os.path.join(model_dir, "config.json")) as f:
            c = json.load(f)
        self.layers, self.heads, self.d = c["n_layer"], c["n_head"], c["n_embd"]
        self.eps = c.get("layer_norm_epsilon", 1e-5)
        self.w = load_safetensors(os.path.join(model_dir, "model.safetensors"))

    def ln(self, x, name):
        return F.layer_norm(x, (self.d,), self.w[name + ".weight"], self.w[name + ".bias"], self.eps)

    def conv1d(self, x, name):  # GPT-2's Conv1D: weight [in, out]
        return torch.addmm(self.w[name + ".bias"], x.reshape(-1, x.shape[-1]), self.w[name + ".weight"]).view(
            *x.shape[:-1], -1)

    def forward(self, ids, capture):
        """ids [B, T]; capture(layer, q, k) with q, k [B, heads, T, head_dim]."""
        B, T = ids.shape
        hd = self.d // self.heads
        x = self.w["wte.weight"][ids] + self.w["wpe.weight"][:T]
        mask = torch.full((T, T), float("-inf")).triu(1)
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


def run_extraction(model, argv=None, default_batch=16, warm_up=False):
    """The benchmark's command line and timed loop for any model with forward(ids, capture); prints the JSON
    line. warm_up: one untimed pass over the first sequence first (pages a mapped checkpoint in)."""
    parser = argparse.ArgumentParser()
    parser.add_argument("model")
    parser.add_argument("ids")
    parser.add_argument("out")
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--batch", type=int, default=default_batch)
    args = parser.parse_args(argv)
    torch.set_num_threads(args.threads)
    model = model(args.model)
    with open(args.ids) as f:
        sequences = [json.loads(line)["input_ids"] for line in f if line.strip()]
    if warm_up:
        with torch.inference_mode():
            model.forward(torch.tensor(sequences[:1], dtype=torch.long), lambda layer, q, k: None)
    start = time.perf_counter()
    tokens = 0
    with torch.inference_mode(), open(args.out, "wb") as out:
        def capture(layer, q, k):
            out.write(q.to(torch.float16).numpy().tobytes())
            out.write(k.to(torch.float16).numpy().tobytes())

        for b in range(0, len(sequences), args.batch):
            batch = sequences[b:b + args.batch]
            assert len({len(s) for s in batch}) == 1, "the benchmark's sequences share one length"
            model.forward(torch.tensor(batch, dtype=torch.long), capture)
            tokens += sum(len(s) for s in batch)
    seconds = time.perf_counter() - start
    print(json.dumps({"tokens": tokens, "seconds": seconds, "tokens_per_s": tokens / seconds,
                      "threads": torch.get_num_threads(), "blas": blas_library()}))


def main():
    run_extraction(GPT2)

if __name__ == "__main__":
    main()
