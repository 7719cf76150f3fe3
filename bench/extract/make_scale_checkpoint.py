"""Writes a checkpoint of a real model's shape with random weights, for the scale benchmark (scale.sh):

  llama-3.2-1b  16 layers, 32 heads, 8 KV heads, hidden 2048, intermediate 8192, vocab 128256, tied embeddings
  llama-3-8b    32 layers, 32 heads, 8 KV heads, hidden 4096, intermediate 14336, vocab 128256 (~16 GB in BF16)
  gpt2-small    12 layers, 12 heads, hidden 768, vocab 50257
  bert-base     12 layers, 12 heads, hidden 768, intermediate 3072, vocab 30522
  vit-b-16      12 layers, 12 heads, hidden 768, intermediate 3072, patch 16, image 224 (197 tokens an image)

into OUT/SHAPE/ (model.safetensors in DTYPE, BF16 by default, and config.json), plus the inputs: for the text
models OUT/SHAPE-ids.jsonl, SEQUENCES random sequences of LENGTH token ids; for ViT OUT/SHAPE-images/, SEQUENCES
224 × 224 PNG images (gradients and noise) and the model's preprocessor_config.json. The weights are normal with
std 0.02 (norm scales 1), drawn once into a pool of 2^24 values that every tensor is cut from at a random
offset, so that writing 16 GB takes as long as the disk does; the file is streamed, never held in memory.
Deterministic (seeded). The LLaMA configs carry the rope_scaling of the published Llama 3.1 / 3.2 ones
(rope_type llama3, factor 32 for the 1B, 8 for the 8B).

Usage: python3 make_scale_checkpoint.py SHAPE OUT [--dtype BF16|F16|F32] [--sequences 4] [--length 32]
                                                 [--positions 8192]
"""
import argparse
import json
import os
import struct

import numpy as np

POOL = 1 << 24


def llama(layers, d, inner, heads, kv_heads, vocab, rope_factor, positions=8192):
    hd = d // heads
    config = {"architectures": ["LlamaForCausalLM"], "model_type": "llama", "hidden_act": "silu",
              "num_hidden_layers": layers, "hidden_size": d, "intermediate_size": inner,
              "num_attention_heads": heads, "num_key_value_heads": kv_heads, "head_dim": hd,
              "vocab_size": vocab, "max_position_embeddings": positions, "rms_norm_eps": 1e-5,
              "rope_theta": 500000.0, "tie_word_embeddings": True,
              "rope_scaling": {"factor": rope_factor, "high_freq_factor": 4.0, "low_freq_factor": 1.0,
                               "original_max_position_embeddings": 8192, "rope_type": "llama3"}}
    tensors = [("model.embed_tokens.weight", [vocab, d])]
    for i in range(layers):
        p = f"model.layers.{i}."
        tensors += [(p + "input_layernorm.weight", [d]), (p + "post_attention_layernorm.weight", [d]),
                    (p + "self_attn.q_proj.weight", [heads * hd, d]),
                    (p + "self_attn.k_proj.weight", [kv_heads * hd, d]),
                    (p + "self_attn.v_proj.weight", [kv_heads * hd, d]),
                    (p + "self_attn.o_proj.weight", [d, heads * hd]), (p + "mlp.gate_proj.weight", [inner, d]),
                    (p + "mlp.up_proj.weight", [inner, d]), (p + "mlp.down_proj.weight", [d, inner])]
    return config, tensors + [("model.norm.weight", [d])]


def gpt2(layers=12, d=768, vocab=50257, positions=1024):
    config = {"architectures": ["GPT2Model"], "model_type": "gpt2", "activation_function": "gelu_new",
              "n_layer": layers, "n_head": 12, "n_embd": d, "n_inner": None, "n_positions": positions,
              "vocab_size": vocab, "layer_norm_epsilon": 1e-5}
    tensors = [("wte.weight", [vocab, d]), ("wpe.weight", [positions, d])]
    for i in range(layers):
        p = f"h.{i}."
        for norm in ("ln_1", "ln_2"):
            tensors += [(p + norm + ".weight", [d]), (p + norm + ".bias", [d])]
        for name, shape in (("attn.c_attn", [d, 3 * d]), ("attn.c_proj", [d, d]), ("mlp.c_fc", [d, 4 * d]),
                            ("mlp.c_proj", [4 * d, d])):
            tensors += [(p + name + ".weight", shape), (p + name + ".bias", [shape[1]])]
    return config, tensors + [("ln_f.weight", [d]), ("ln_f.bias", [d])]


def encoder_layer(p, d, inner, qkv, attention_out, norms):
    """A BERT or ViT layer's tensors: q, k, v (names under qkv), the attention's output, the MLP, each with a bias
    (weights [out, in]), and two LayerNorms."""
    dense = [(qkv + "query", [d, d]), (qkv + "key", [d, d]), (qkv + "value", [d, d]), (attention_out, [d, d]),
             ("intermediate.dense", [inner, d]), ("output.dense", [d, inner])]
    tensors = []
    for name, shape in dense:
        tensors += [(p + name + ".weight", shape), (p + name + ".bias", [shape[0]])]
    for norm in norms:
        tensors += [(p + norm + ".weight", [d]), (p + norm + ".bias", [d])]
    return tensors


def bert(layers=12, d=768, inner=3072, vocab=30522, positions=512):
    config = {"architectures": ["BertModel"], "model_type": "bert", "hidden_act": "gelu", "num_hidden_layers": layers,
              "hidden_size": d, "intermediate_size": inner, "num_attention_heads": 12, "vocab_size": vocab,
              "max_position_embeddings": positions, "type_vocab_size": 2, "layer_norm_eps": 1e-12}
    e = "embeddings."
    tensors = [(e + "word_embeddings.weight", [vocab, d]), (e + "position_embeddings.weight", [positions, d]),
               (e + "token_type_embeddings.weight", [2, d]), (e + "LayerNorm.weight", [d]), (e + "LayerNorm.bias", [d])]
    for i in range(layers):
        tensors += encoder_layer(f"encoder.layer.{i}.", d, inner, "attention.self.", "attention.output.dense",
                                 ("attention.output.LayerNorm", "output.LayerNorm"))
    return config, tensors


def vit(layers=12, d=768, inner=3072, image=224, patch=16):
    config = {"architectures": ["ViTModel"], "model_type": "vit", "hidden_act": "gelu", "num_hidden_layers": layers,
              "hidden_size": d, "intermediate_size": inner, "num_attention_heads": 12, "image_size": image,
              "patch_size": patch, "num_channels": 3, "qkv_bias": True, "layer_norm_eps": 1e-12}
    e = "embeddings."
    tensors = [(e + "cls_token", [1, 1, d]), (e + "position_embeddings", [1, (image // patch) ** 2 + 1, d]),
               (e + "patch_embeddings.projection.weight", [d, 3, patch, patch]),
               (e + "patch_embeddings.projection.bias", [d])]
    for i in range(layers):
        tensors += encoder_layer(f"encoder.layer.{i}.", d, inner, "attention.attention.", "attention.output.dense",
                                 ("layernorm_before", "layernorm_after"))
    return config, tensors + [("layernorm.weight", [d]), ("layernorm.bias", [d])]


SHAPES = {
    "llama-3.2-1b": lambda positions: llama(16, 2048, 8192, 32, 8, 128256, 32.0, positions),
    "llama-3-8b": lambda positions: llama(32, 4096, 14336, 32, 8, 128256, 8.0, positions),
    "gpt2-small": lambda positions: gpt2(positions=min(positions, 1024)),
    "bert-base": lambda positions: bert(positions=min(positions, 512)),
    "vit-b-16": lambda positions: vit(),
}
# ViTImageProcessor's settings of google/vit-base-patch16-224.
VIT_PREPROCESSOR = {"image_processor_type": "ViTImageProcessor", "do_resize": True, "do_rescale": True,
                    "do_normalize": True, "image_mean": [0.5, 0.5, 0.5], "image_std": [0.5, 0.5, 0.5],
                    "resample": 2, "rescale_factor": 1 / 255, "size": {"height": 224, "width": 224}}
DTYPES = {"BF16": 2, "F16": 2, "F32": 4}


def encoded_pool(rng, dtype):
    """POOL normal values (std 0.02) as the little-endian bytes of dtype, and the encoding of 1.0."""
    values = rng.standard_normal(POOL, dtype=np.float32) * np.float32(0.02)
    one = np.ones(1, np.float32)
    if dtype == "F32":
        return values.astype("<f4"), one.astype("<f4")
    if dtype == "F16":
        return values.astype("<f2"), one.astype("<f2")
    # BF16: round to nearest even on the high 16 bits (no NaNs here).
    def to_bf16(x):
        bits = x.view(np.uint32).astype(np.uint64)
        return ((bits + 0x7FFF + ((bits >> 16) & 1)) >> 16).astype("<u2")
    return to_bf16(values), to_bf16(one)


def write_checkpoint(path, tensors, dtype, rng):
    size = DTYPES[dtype]
    header, offset = {"__metadata__": {"format": "pt"}}, 0
    for name, shape in tensors:
        n = int(np.prod(shape)) * size
        header[name] = {"dtype": dtype, "shape": shape, "data_offsets": [offset, offset + n]}
        offset += n
    text = json.dumps(header, separators=(",", ":")).encode()
    text += b" " * (-len(text) % 8)
    pool, one = encoded_pool(rng, dtype)
    with open(path + ".tmp", "wb") as f:
        f.write(struct.pack("<Q", len(text)))
        f.write(text)
        for name, shape in tensors:
            n = int(np.prod(shape))
            if len(shape) == 1 and name.endswith("weight"):  # a norm's scale
                f.write(np.repeat(one, n))
                continue
            start = int(rng.integers(POOL))
            while n > 0:
                chunk = pool[start:start + n]
                f.write(chunk)  # the array's own bytes: no copy
                n -= len(chunk)
                start = 0
    os.replace(path + ".tmp", path)


def write_images(folder, count, size, rng):
    """count RGB PNGs of size × size: a colour gradient at a random angle plus noise, so patches differ."""
    from PIL import Image  # Debian's python3-pil; only the ViT shape needs it

    os.makedirs(folder, exist_ok=True)
    y, x = np.mgrid[0:size, 0:size].astype(np.float32) / size
    for i in range(count):
        angle = rng.uniform(0, 2 * np.pi)
        ramp = np.cos(angle) * x + np.sin(angle) * y
        channels = [(ramp * rng.uniform(100, 255) + rng.normal(0, 20, ramp.shape)) % 256 for _ in range(3)]
        Image.fromarray(np.stack(channels, -1).astype(np.uint8), "RGB").save(os.path.join(folder, f"{i:04d}.png"))


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("shape", choices=sorted(SHAPES))
    parser.add_argument("out")
    parser.add_argument("--dtype", default="BF16", choices=sorted(DTYPES))
    parser.add_argument("--sequences", type=int, default=4)
    parser.add_argument("--length", type=int, default=32)
    # Fewer positions shorten attnviz's induction measurement (8 sequences of two copies of positions / 2
    # tokens, before extracting): an 8B model on 2 cores then runs in minutes.
    parser.add_argument("--positions", type=int, default=8192)
    args = parser.parse_args()
    config, tensors = SHAPES[args.shape](args.positions)
    model = os.path.join(args.out, args.shape)
    os.makedirs(model, exist_ok=True)
    rng = np.random.default_rng(0)
    if not os.path.exists(os.path.join(model, "model.safetensors")):  # kept from an earlier run (KEEP=1)
        write_checkpoint(os.path.join(model, "model.safetensors"), tensors, args.dtype, rng)
    with open(os.path.join(model, "config.json"), "w") as f:
        json.dump(config, f, indent=1)
    if config["model_type"] == "vit":
        write_images(os.path.join(args.out, args.shape + "-images"), args.sequences, config["image_size"], rng)
        with open(os.path.join(model, "preprocessor_config.json"), "w") as f:
            json.dump(VIT_PREPROCESSOR, f, indent=1)
    else:
        with open(os.path.join(args.out, args.shape + "-ids.jsonl"), "w") as f:
            for _ in range(args.sequences):
                f.write(json.dumps({"input_ids": rng.integers(0, config["vocab_size"], args.length).tolist()}) + "\n")
    parameters = sum(int(np.prod(shape)) for _, shape in tensors)
    print(f"wrote {model}: {parameters / 1e9:.2f}B parameters, {args.dtype}")


if __name__ == "__main__":
    main()
