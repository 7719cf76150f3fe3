"""Writes the extraction benchmark's inputs into OUT (default bench/extract/work):

  gpt2-small/   a GPT-2-small-shaped checkpoint with random weights (12 layers, 12 heads, d=768,
                vocab 50257, 1024 positions), float32 safetensors written by hand with json + numpy,
                plus the real GPT-2 tokenizer (tests/fixtures/tokenizers/gpt2/tokenizer.json)
  ids.jsonl     64 sequences x 128 random token ids
  ids100k.jsonl 800 sequences x 128 random token ids (102,400 tokens)

Deterministic (seeded). Usage: python3 make_checkpoint.py [OUT]
"""
import json
import os
import shutil
import struct
import sys

import numpy as np

LAYERS, HEADS, D, VOCAB, POSITIONS = 12, 12, 768, 50257, 1024
HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(HERE))


def gpt2_weights(rng):
    def normal(*shape, std=0.02):
        return (rng.standard_normal(shape, dtype=np.float32) * std).astype(np.float32)

    w = {"wte.weight": normal(VOCAB, D), "wpe.weight": normal(POSITIONS, D, std=0.01)}
    for i in range(LAYERS):
        p = f"h.{i}."
        w[p + "ln_1.weight"] = np.ones(D, np.float32)
        w[p + "ln_1.bias"] = np.zeros(D, np.float32)
        w[p + "attn.c_attn.weight"] = normal(D, 3 * D)  # Conv1D: [in, out]
        w[p + "attn.c_attn.bias"] = normal(3 * D)
        w[p + "attn.c_proj.weight"] = normal(D, D)
        w[p + "attn.c_proj.bias"] = np.zeros(D, np.float32)
        w[p + "ln_2.weight"] = np.ones(D, np.float32)
        w[p + "ln_2.bias"] = np.zeros(D, np.float32)
        w[p + "mlp.c_fc.weight"] = normal(D, 4 * D)
        w[p + "mlp.c_fc.bias"] = np.zeros(4 * D, np.float32)
        w[p + "mlp.c_proj.weight"] = normal(4 * D, D)
        w[p + "mlp.c_proj.bias"] = np.zeros(D, np.float32)
    w["ln_f.weight"] = np.ones(D, np.float32)
    w["ln_f.bias"] = np.zeros(D, np.float32)
    return w


def write_safetensors(path, tensors):
    header, offset = {}, 0
    for name, array in tensors.items():
        header[name] = {"dtype": "F32", "shape": list(array.shape), "data_offsets": [offset, offset + array.nbytes]}
        offset += array.nbytes
    text = json.dumps(header, separators=(",", ":")).encode()
    text += b" " * (-len(text) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(text)))
        f.write(text)
        for array in tensors.values():
            f.write(np.ascontiguousarray(array, dtype="<f4").tobytes())


def write_config(path):
    config = {
        "architectures": ["GPT2Model"], "model_type": "gpt2", "activation_function": "gelu_new",
        "n_layer": LAYERS, "n_head": HEADS, "n_embd": D, "n_inner": None, "n_positions": POSITIONS,
        "n_ctx": POSITIONS, "vocab_size": VOCAB, "layer_norm_epsilon": 1e-5, "scale_attn_weights": True,
        "bos_token_id": 50256, "eos_token_id": 50256,
    }
    with open(path, "w") as f:
        json.dump(config, f, indent=1)


def write_ids(path, rng, sequences, length):
    with open(path, "w") as f:
        for _ in range(sequences):
            f.write(json.dumps({"input_ids": rng.integers(0, VOCAB, length).tolist()}) + "\n")


def main():
    out = sys.argv[1] if len(sys.argv) > 1 else os.path.join(HERE, "work")
    model = os.path.join(out, "gpt2-small")
    os.makedirs(model, exist_ok=True)
    rng = np.random.default_rng(0)
    if not os.path.exists(os.path.join(model, "model.safetensors")):
        write_safetensors(os.path.join(model, "model.safetensors"), gpt2_weights(rng))
    write_config(os.path.join(model, "config.json"))
    shutil.copy(os.path.join(REPO, "tests/fixtures/tokenizers/gpt2/tokenizer.json"), model)
    rng = np.random.default_rng(1)
    write_ids(os.path.join(out, "ids.jsonl"), rng, 64, 128)
    write_ids(os.path.join(out, "ids100k.jsonl"), rng, 800, 128)
    print(f"wrote {model}, ids.jsonl, ids100k.jsonl")


if __name__ == "__main__":
    main()
