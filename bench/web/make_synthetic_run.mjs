#!/usr/bin/env node
// Writes a synthetic attnviz run directory (format version 1, docs/format.md) for the web UI's scale benchmark:
// manifest.json, tokens.json, qk.safetensors (F16) and layouts/{method}-{dim}d.safetensors, without running
// a model. Default: 12 layers x 12 heads x 10,000 tokens = 144 heads x 20,000 points (2.9M points).
// Usage: node bench/web/make_synthetic_run.mjs OUT [--layers 12] [--heads 12] [--tokens 10000]
//        [--seq-len 25] [--head-dim 8] [--layouts pca-2d,tsne-2d]
import fs from 'node:fs';
import path from 'node:path';

const args = process.argv.slice(2);
const out = args[0];
if (!out || out.startsWith('--')) {
  console.error('usage: make_synthetic_run.mjs OUT [--layers L] [--heads H] [--tokens N] [--seq-len T] [--head-dim D] [--layouts pca-2d,...]');
  process.exit(2);
}
const option = (name, fallback) => {
  const i = args.indexOf(`--${name}`);
  return i < 0 ? fallback : args[i + 1];
};
const L = Number(option('layers', 12));
const H = Number(option('heads', 12));
const N = Number(option('tokens', 10000));
const T = Number(option('seq-len', 25));
const D = Number(option('head-dim', 8));
const layouts = option('layouts', 'pca-2d,tsne-2d').split(',');

let seed = 12345;
const rand = () => ((seed = (seed * 16807) % 2147483647) / 2147483647);
const gauss = () => Math.sqrt(-2 * Math.log(rand() + 1e-12)) * Math.cos(2 * Math.PI * rand());

const words = ['the', 'of', 'and', 'to', 'a', 'in', 'that', 'is', 'was', 'he', 'for', 'it', 'with', 'as', 'his',
  'on', 'be', 'at', 'by', 'I', 'this', 'had', 'not', 'are', 'but', 'from', 'or', 'have', 'an', 'they', 'which',
  'one', 'you', 'were', 'her', 'all', 'she', 'there', 'would', 'their', 'we', 'him', 'been', 'has', 'when', ',', '.'];

function tokensAndSequences() {
  const cols = { token: [], token_id: [], sequence: [], position: [], char_start: [], char_end: [], special: [] };
  const sequences = [];
  for (let first = 0, s = 0; first < N; first += T, s++) {
    const count = Math.min(T, N - first);
    let text = '';
    for (let p = 0; p < count; p++) {
      const id = Math.floor(rand() ** 2 * words.length); // skewed, like word frequencies
      const piece = (p === 0 ? '' : ' ') + words[id];
      cols.token.push(piece);
      cols.token_id.push(id);
      cols.sequence.push(s);
      cols.position.push(p);
      cols.char_start.push(text.length + (p === 0 ? 0 : 1));
      text += piece;
      cols.char_end.push(text.length);
      cols.special.push(0);
    }
    sequences.push({ text, first_token: first, token_count: count });
  }
  return { cols, sequences };
}

function toHalf(v) {
  const f = new Float32Array([v]);
  const x = new Uint32Array(f.buffer)[0];
  const sign = (x >>> 16) & 0x8000;
  const exp = ((x >>> 23) & 0xff) - 127 + 15;
  const mant = x & 0x7fffff;
  if (exp <= 0) return sign;
  if (exp >= 31) return sign | 0x7c00;
  return sign | (exp << 10) | (mant >>> 13);
}

// Safetensors: u64 header length, JSON header padded with spaces to 8 bytes, data. Written then renamed.
function writeSafetensors(file, tensors) {
  const header = {};
  let offset = 0;
  for (const t of tensors) {
    header[t.name] = { dtype: t.dtype, shape: t.shape, data_offsets: [offset, offset + t.bytes.byteLength] };
    offset += t.bytes.byteLength;
  }
  let json = JSON.stringify(header);
  json += ' '.repeat((8 - ((json.length + 8) % 8)) % 8);
  const tmp = `${file}.tmp`;
  const fd = fs.openSync(tmp, 'w');
  const len = Buffer.alloc(8);
  len.writeBigUInt64LE(BigInt(json.length));
  fs.writeSync(fd, len);
  fs.writeSync(fd, Buffer.from(json));
  for (const t of tensors) fs.writeSync(fd, new Uint8Array(t.bytes.buffer, t.bytes.byteOffset, t.bytes.byteLength));
  fs.closeSync(fd);
  fs.renameSync(tmp, file);
}

// Queries and keys that carry position (so heads look positional) plus noise.
function qkTensors(cols) {
  const tensors = [];
  for (let l = 0; l < L; l++) {
    for (const kind of ['q', 'k']) {
      const data = new Uint16Array(H * N * D);
      for (let h = 0; h < H; h++) {
        for (let i = 0; i < N; i++) {
          const p = cols.position[i];
          for (let d = 0; d < D; d++) {
            const v = Math.cos((p + (kind === 'k' ? 1 : 0)) * (d + 1) * 0.3 + h) * 2 + 0.3 * gauss();
            data[(h * N + i) * D + d] = toHalf(v);
          }
        }
      }
      tensors.push({ name: `l${l}.${kind}`, dtype: 'F16', shape: [H, N, D], bytes: data });
    }
  }
  return tensors;
}

// One head's layout: clusters by token position mod a head-dependent period, keys shifted from queries.
function layoutTensor(cols, l, h, dim, method) {
  const coords = new Float32Array(2 * N * dim);
  const period = 2 + ((l * H + h) % 7);
  const spread = method === 'pca' ? 1.5 : 0.35;
  for (let r = 0; r < 2 * N; r++) {
    const i = r % N;
    const cluster = cols.position[i] % period;
    const angle = (2 * Math.PI * cluster) / period + (r >= N ? 0.25 : 0);
    for (let d = 0; d < dim; d++) {
      const centre = d === 0 ? Math.cos(angle) * 4 : d === 1 ? Math.sin(angle) * 4 : (cluster - period / 2) * 0.8;
      coords[r * dim + d] = centre + spread * gauss();
    }
  }
  return { name: `l${l}.h${h}`, dtype: 'F32', shape: [2 * N, dim], bytes: coords };
}

fs.mkdirSync(path.join(out, 'layouts'), { recursive: true });
const { cols, sequences } = tokensAndSequences();
const manifest = {
  format: 'attnviz-run',
  version: 1,
  model: { model_type: 'gpt2', num_layers: L, num_heads: H, num_kv_heads: H, head_dim: D, causal: true, attention_scale: 1 / Math.sqrt(D), modality: 'text' },
  dataset: { source: 'synthetic (bench/web/make_synthetic_run.mjs)', num_sequences: sequences.length, num_tokens: N },
  sequences,
  qk: { file: 'qk.safetensors', dtype: 'F16', num_tokens: N },
};
fs.writeFileSync(path.join(out, 'tokens.json'), JSON.stringify(cols));
writeSafetensors(path.join(out, 'qk.safetensors'), qkTensors(cols));
for (const name of layouts) {
  const [method, dims] = name.split('-');
  const dim = Number(dims[0]);
  const tensors = [];
  for (let l = 0; l < L; l++) for (let h = 0; h < H; h++) tensors.push(layoutTensor(cols, l, h, dim, method));
  writeSafetensors(path.join(out, 'layouts', `${method}-${dim}d.safetensors`), tensors);
}
fs.writeFileSync(path.join(out, 'manifest.json'), JSON.stringify(manifest, null, 1));
console.log(`wrote ${out}: ${L} layers x ${H} heads x ${2 * N} points = ${L * H * 2 * N} points; layouts ${layouts.join(', ')}`);
