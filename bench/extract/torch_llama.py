"""The PyTorch side of the scale benchmark (scale.sh): the same work as `attnviz extract` on a LLaMA checkpoint.

A plain PyTorch LLaMA (transformers is not used) whose weights are the checkpoint's BF16 tensors, memory-mapped
and used in place (as transformers' torch_dtype=bfloat16 computes: bfloat16 weights and activations), runs the
JSONL input_ids in batches, captures every layer's q and k (after RoPE: what attention dots) and writes them to
OUT as float16, then prints one JSON line: tokens, seconds, tokens/s (after one untimed warm-up pass). The
rotary frequencies follow the config's rope_scaling (none, linear or llama3, as transformers computes them).

Usage: python3 torch_llama.py MODEL_DIR IDS.jsonl OUT_FILE [--threads T] [--batch B] [--check RUN]
"""
import math
import os

import torch
import torch.nn.functional as F

from torch_extract import load_safetensors, read_config, run_extraction


def rope_inv_freq(head_dim, theta, scaling):
    """transformers' inverse frequencies in float32 for rope_type default, linear and llama3."""
    inv_freq = 1.0 / (theta ** (torch.arange(0, head_dim, 2, dtype=torch.float32) / head_dim))
    kind = (scaling or {}).get("rope_type", (scaling or {}).get("type", "default"))
    if kind == "linear":
        return inv_freq / scaling["factor"]
    if kind != "llama3":
        assert kind == "default", kind
        return inv_freq
    factor, low, high = scaling["factor"], scaling["low_freq_factor"], scaling["high_freq_factor"]
    context = scaling["original_max_position_embeddings"]
    wavelength = 2 * math.pi / inv_freq
    scaled = torch.where(wavelength > context / low, inv_freq / factor, inv_freq)  # long wavelengths
    smooth = (context / wavelength - low) / (high - low)
    blend = (1 - smooth) * scaled / factor + smooth * scaled
    medium = (wavelength >= context / high) & (wavelength <= context / low)
    return torch.where(medium, blend, scaled)


class Llama:
    def __init__(self, model_dir):
        c = read_config(model_dir)
        self.layers, self.heads, self.kv_heads = c["num_hidden_layers"], c["num_attention_heads"], c["num_key_value_heads"]
        self.d, self.hd = c["hidden_size"], c.get("head_dim", c["hidden_size"] // c["num_attention_heads"])
        self.eps = c["rms_norm_eps"]
        self.inv_freq = rope_inv_freq(self.hd, c["rope_theta"], c.get("rope_scaling"))
        self.w = load_safetensors(os.path.join(model_dir, "model.safetensors"), "model.")

    def rms(self, x, name):
        variance = x.float().pow(2).mean(-1, keepdim=True)
        return self.w[name + ".weight"] * (x.float() * torch.rsqrt(variance + self.eps)).to(x.dtype)

    def rope(self, x, cos, sin):  # x [B, heads, T, hd]; rotate_half convention
        half = self.hd // 2
        rotated = torch.cat((-x[..., half:], x[..., :half]), dim=-1)
        return x * cos + rotated * sin

    def forward(self, ids, capture):
        """ids [B, T]; capture(layer, q, k) with q [B, heads, T, head_dim]; returns the hidden state [B, T, d]."""
        B, T = ids.shape
        x = self.w["embed_tokens.weight"][ids]
        angles = torch.outer(torch.arange(T, dtype=torch.float32), self.inv_freq)
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
