"""The PyTorch side of the scale benchmark (scale.sh): the same work as `attnviz extract` on a LLaMA checkpoint.

A plain PyTorch LLaMA (transformers is not used) whose weights are the checkpoint's BF16 tensors, memory-mapped
and used in place (as transformers' torch_dtype=bfloat16 computes: bfloat16 weights and activations), runs the
JSONL input_ids in batches, captures every layer's q and k (after RoPE: what attention dots) and writes them to
OUT as float16, then prints one JSON line: tokens, seconds, tokens/s (after one untimed warm-up pass).

Usage: python3 torch_llama.py MODEL_DIR IDS.jsonl OUT_FILE [--threads T] [--batch B]
"""
import json
import mmap
import os
import struct
import warnings

import numpy as np
import torch
import torch.nn.functional as F

from torch_extract import run_extraction


def load_bf16(path):
    """Every tensor of a BF16 safetensors file as a bfloat16 tensor over the mapped file (no copy)."""
    with open(path, "rb") as f:
        size = struct.unpack("<Q", f.read(8))[0]
        header = json.loads(f.read(size))
        mapped = mmap.mmap(f.fileno(), 0, access=mmap.ACCESS_READ)
    data = np.frombuffer(mapped, dtype=np.uint8, offset=8 + size)
    tensors = {}
    for name, info in header.items():
        if name == "__metadata__":
            continue
        assert info["dtype"] == "BF16", name
        begin, end = info["data_offsets"]
        halves = data[begin:end].view(np.int16).reshape(info["shape"])
        warnings.filterwarnings("ignore", "The given NumPy array is not writable")  # read-only: never written
        tensors[name.removeprefix("model.")] = torch.from_numpy(halves).view(torch.bfloat16)
    return tensors


class Llama:
    def __init__(self, model_dir):
        with open(os.path.join(model_dir, "config.json")) as f:
            c = json.load(f)
        self.layers, self.heads, self.kv_heads = c["num_hidden_layers"], c["num_attention_heads"], c["num_key_value_heads"]
        self.d, self.hd = c["hidden_size"], c.get("head_dim", c["hidden_size"] // c["num_attention_heads"])
        self.eps, self.theta = c["rms_norm_eps"], c["rope_theta"]
        self.w = load_bf16(os.path.join(model_dir, "model.safetensors"))

    def rms(self, x, name):
        variance = x.float().pow(2).mean(-1, keepdim=True)
        return self.w[name + ".weight"] * (x.float() * torch.rsqrt(variance + self.eps)).to(x.dtype)

    def rope(self, x, cos, sin):  # x [B, heads, T, hd]; rotate_half convention
        half = self.hd // 2
        rotated = torch.cat((-x[..., half:], x[..., :half]), dim=-1)
        return x * cos + rotated * sin

    def forward(self, ids, capture):
        B, T = ids.shape
        x = self.w["embed_tokens.weight"][ids]
        inv_freq = 1.0 / (self.theta ** (torch.arange(0, self.hd, 2, dtype=torch.float32) / self.hd))
        angles = torch.outer(torch.arange(T, dtype=torch.float32), inv_freq)
        cos = torch.cat((angles.cos(), angles.cos()), -1).to(x.dtype)
        sin = torch.cat((angles.sin(), angles.sin()), -1).to(x.dtype)
        mask = torch.full((T, T), float("-inf")).triu(1).to(x.dtype)
        group = self.heads // self.kv_heads
        for i in range(self.layers):
            p = f"layers.{i}."
            h = self.rms(x, p + "input_layernorm")
            q = F.linear(h, self.w[p + "self_attn.q_proj.weight"]).view(B, T, self.heads, self.hd).transpose(1, 2)
            k = F.linear(h, self.w[p + "self_attn.k_proj.weight"]).view(B, T, self.kv_heads, self.hd).transpose(1, 2)
            v = F.linear(h, self.w[p + "self_attn.v_proj.weight"]).view(B, T, self.kv_heads, self.hd).transpose(1, 2)
            q, k = self.rope(q, cos, sin), self.rope(k, cos, sin)
            capture(i, q, k)
            k, v = k.repeat_interleave(group, dim=1), v.repeat_interleave(group, dim=1)
            scores = torch.softmax((q @ k.transpose(-1, -2)) / self.hd ** 0.5 + mask, dim=-1)
            a = (scores @ v).transpose(1, 2).reshape(B, T, self.heads * self.hd)
            x = x + F.linear(a, self.w[p + "self_attn.o_proj.weight"])
            h = self.rms(x, p + "post_attention_layernorm")
            gate = F.silu(F.linear(h, self.w[p + "mlp.gate_proj.weight"]))
            x = x + F.linear(gate * F.linear(h, self.w[p + "mlp.up_proj.weight"]), self.w[p + "mlp.down_proj.weight"])
        return self.rms(x, "norm")


def main():
    run_extraction(Llama, default_batch=4, warm_up=True)

if __name__ == "__main__":
    main()
