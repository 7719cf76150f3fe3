"""The PyTorch side of the scale benchmark (scale.sh) for the encoders: BERT on JSONL input_ids, ViT on a folder
of images, the same work as `attnviz extract` on the same checkpoint.

Plain PyTorch models (transformers is not used) over the checkpoint's tensors, memory-mapped and used in place
in their stored dtype (BF16: bfloat16 weights and activations, as transformers' torch_dtype=bfloat16 computes),
capture every layer's q and k (after the bias, before the scale) and write them to OUT as float16, then print
one JSON line: tokens, seconds, tokens/s (after one untimed warm-up pass). The model is chosen by config.json's
model_type. ViT's images are decoded and preprocessed (rescaled by 1/255, normalised with mean and std 0.5;
the benchmark's images already have the model's size, so resizing is the identity) before the timed passes.

Usage: python3 torch_encoders.py MODEL_DIR INPUTS OUT_FILE [--threads T] [--batch B] [--check RUN]
       (INPUTS: IDS.jsonl for BERT, a folder of .png images for ViT)
"""
import math
import os
import sys

import numpy as np
import torch
import torch.nn.functional as F

from torch_extract import load_safetensors, read_config, read_input_ids, run_extraction


class Encoder:
    """What BERT and ViT share: post- or pre-LN blocks of self-attention and a GELU MLP, named as in HF."""

    def __init__(self, model_dir, prefix):
        c = read_config(model_dir)
        self.c, self.layers, self.heads, self.d = c, c["num_hidden_layers"], c["num_attention_heads"], c["hidden_size"]
        self.hd, self.eps = self.d // self.heads, c.get("layer_norm_eps", 1e-12)
        self.w = load_safetensors(os.path.join(model_dir, "model.safetensors"), prefix)

    def linear(self, x, name):
        return F.linear(x, self.w[name + ".weight"], self.w.get(name + ".bias"))

    def ln(self, x, name):
        return F.layer_norm(x, (self.d,), self.w[name + ".weight"], self.w[name + ".bias"], self.eps)

    def attention(self, h, p, layer, capture):
        """h [B, T, d] → the attention's output before its dense layer; q and k captured."""
        B, T, _ = h.shape
        q, k, v = (self.linear(h, p + "attention." + n).view(B, T, self.heads, self.hd).transpose(1, 2)
                   for n in self.qkv_names)
        capture(layer, q, k)
        scores = torch.softmax(q @ k.transpose(-1, -2) / math.sqrt(self.hd), dim=-1)
        return (scores @ v).transpose(1, 2).reshape(B, T, self.d)


class Bert(Encoder):
    qkv_names = ("self.query", "self.key", "self.value")

    def __init__(self, model_dir):
        super().__init__(model_dir, "bert.")

    def forward(self, ids, capture):
        """ids [B, T] (token type 0); returns the hidden state [B, T, d]."""
        e = "embeddings."
        T = ids.shape[1]
        x = self.w[e + "word_embeddings.weight"][ids] + self.w[e + "position_embeddings.weight"][:T] + \
            self.w[e + "token_type_embeddings.weight"][0]
        x = self.ln(x, e + "LayerNorm")
        for i in range(self.layers):
            p = f"encoder.layer.{i}."
            a = self.attention(x, p, i, capture)
            x = self.ln(x + self.linear(a, p + "attention.output.dense"), p + "attention.output.LayerNorm")
            inner = F.gelu(self.linear(x, p + "intermediate.dense"))
            x = self.ln(x + self.linear(inner, p + "output.dense"), p + "output.LayerNorm")
        return x


class Vit(Encoder):
    qkv_names = ("attention.query", "attention.key", "attention.value")

    def __init__(self, model_dir):
        super().__init__(model_dir, "vit.")
        self.patch = self.c["patch_size"]

    def embed(self, pixels):
        """pixels [B, 3, S, S] → [B, 1 + (S/patch)², d]: the class token, the patches' projection, positions."""
        B, C, S, _ = pixels.shape
        n, p, e = S // self.patch, self.patch, "embeddings."
        patches = pixels.reshape(B, C, n, p, n, p).permute(0, 2, 4, 1, 3, 5).reshape(B, n * n, C * p * p)
        weight = self.w[e + "patch_embeddings.projection.weight"].reshape(self.d, C * p * p)
        x = F.linear(patches.to(weight.dtype), weight, self.w[e + "patch_embeddings.projection.bias"])
        x = torch.cat((self.w[e + "cls_token"].expand(B, 1, self.d), x), dim=1)
        return x + self.w[e + "position_embeddings"]

    def forward(self, pixels, capture):
        """pixels [B, 3, S, S]; returns the hidden state [B, T, d]."""
        x = self.embed(pixels)
        for i in range(self.layers):
            p = f"encoder.layer.{i}."
            x = x + self.linear(self.attention(self.ln(x, p + "layernorm_before"), p, i, capture),
                                p + "attention.output.dense")
            inner = F.gelu(self.linear(self.ln(x, p + "layernorm_after"), p + "intermediate.dense"))
            x = x + self.linear(inner, p + "output.dense")
        return self.ln(x, "layernorm")


def read_images(folder):
    """The folder's .png images in name order (as attnviz reads a folder), preprocessed: [3, S, S] float32."""
    from PIL import Image

    images = []
    for name in sorted(os.listdir(folder)):
        if name.endswith(".png"):
            pixels = np.asarray(Image.open(os.path.join(folder, name)).convert("RGB"), dtype=np.float32)
            images.append(torch.from_numpy(((pixels * np.float32(1 / 255) - 0.5) / 0.5).transpose(2, 0, 1).copy()))
    return images


def main():
    model_type = read_config(sys.argv[1])["model_type"]
    if model_type == "vit":
        run_extraction(Vit, default_batch=4, warm_up=True, read_inputs=read_images)
    else:
        assert model_type == "bert", model_type
        run_extraction(Bert, default_batch=4, warm_up=True)


if __name__ == "__main__":
    main()
