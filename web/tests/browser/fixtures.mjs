// Real inputs for the browser tests: run directories made by `attnviz extract` + `attnviz layout` from the
// bundled models and data, and a real `attnviz serve` on a free 127.0.0.1 port.
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import zlib from 'node:zlib';

export const REPO = path.resolve(path.dirname(new URL(import.meta.url).pathname), '../../..');
export const ATTNVIZ = path.resolve(REPO, 'web', process.env.ATTNVIZ_BIN ?? '../build/attnviz');

// Runs an attnviz subcommand to completion (bounded), throwing with its stderr on failure.
export function attnviz(args, timeoutMs) {
  const started = Date.now();
  const r = spawnSync(ATTNVIZ, args, { encoding: 'utf8', timeout: timeoutMs, maxBuffer: 64 << 20 });
  if (r.error) throw new Error(`attnviz ${args[0]}: ${r.error.message}`);
  if (r.status !== 0)
    throw new Error(`attnviz ${args.join(' ')} exited ${r.status}: ${r.stderr.trim().split('\n').pop()}`);
  return (Date.now() - started) / 1000;
}

// The first `count` sentences of the held-out Brown documents, one a line.
export function writeBrownSentences(file, count) {
  const lines = fs
    .readFileSync(path.join(REPO, 'data/brown_eval.txt'), 'utf8')
    .split('\n')
    .filter((l) => l.trim() !== '');
  fs.writeFileSync(file, lines.slice(0, count).join('\n') + '\n');
}

// Grayscale 8-bit PNG (signature, IHDR, one IDAT, IEND).
function crc32(bytes) {
  let c = ~0;
  for (const b of bytes) {
    c ^= b;
    for (let k = 0; k < 8; k++) c = (c >>> 1) ^ (0xedb88320 & -(c & 1));
  }
  return ~c >>> 0;
}
function chunk(type, data) {
  const out = Buffer.alloc(12 + data.length);
  out.writeUInt32BE(data.length, 0);
  out.write(type, 4, 'latin1');
  data.copy(out, 8);
  out.writeUInt32BE(crc32(out.subarray(4, 8 + data.length)), 8 + data.length);
  return out;
}
export function grayPng(pixels, width, height) {
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(width, 0);
  ihdr.writeUInt32BE(height, 4);
  ihdr.set([8, 0, 0, 0, 0], 8); // bit depth 8, grayscale, deflate, no filter method, no interlace
  const raw = Buffer.alloc(height * (width + 1));
  for (let y = 0; y < height; y++) raw.set(pixels.subarray(y * width, (y + 1) * width), y * (width + 1) + 1);
  return Buffer.concat([
    Buffer.from([137, 80, 78, 71, 13, 10, 26, 10]),
    chunk('IHDR', ihdr),
    chunk('IDAT', zlib.deflateSync(raw)),
    chunk('IEND', Buffer.alloc(0)),
  ]);
}

// The first `count` MNIST test digits as PNGs (data/mnist_test.bin: u32 n, n x 784 pixels, n labels).
export function writeMnistDigits(dir, count) {
  const bin = fs.readFileSync(path.join(REPO, 'data/mnist_test.bin'));
  const n = bin.readUInt32LE(0);
  if (bin.length !== 4 + n * 785)
    throw new Error(`data/mnist_test.bin: ${bin.length} bytes, expected ${4 + n * 785}`);
  fs.mkdirSync(dir, { recursive: true });
  for (let i = 0; i < Math.min(count, n); i++) {
    const label = bin[4 + n * 784 + i];
    fs.writeFileSync(
      path.join(dir, `digit${String(i).padStart(3, '0')}-${label}.png`),
      grayPng(bin.subarray(4 + i * 784, 4 + (i + 1) * 784), 28, 28),
    );
  }
}

export function freePort() {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.on('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });
}

// `attnviz serve RUN` (or RUN RUN ... when `run` is a list) on a free port; resolves once /api/run answers
// (bounded), with stop(). With a token, the server requires it and `url` is the link that hands it to a
// browser (/?token=...).
export async function startServer(run, { token = '', timeoutMs = 30000 } = {}) {
  const port = await freePort();
  const args = [
    'serve',
    ...[run].flat(),
    '--host',
    '127.0.0.1',
    '--port',
    String(port),
    '--web',
    path.join(REPO, 'web/dist'),
  ];
  const child = spawn(ATTNVIZ, token ? [...args, '--token', token] : args, {
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  child.stderr.on('data', (d) => (stderr += d));
  let spawnError = null;
  child.on('error', (e) => (spawnError = e));
  const stop = () => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
  };
  process.on('exit', stop);
  const url = `http://127.0.0.1:${port}/`;
  const headers = token ? { Authorization: `Bearer ${token}` } : {};
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (spawnError) throw new Error(`cannot start ${ATTNVIZ}: ${spawnError.message}`);
    if (child.exitCode !== null)
      throw new Error(`attnviz serve exited ${child.exitCode}: ${stderr.trim().split('\n').pop()}`);
    try {
      const r = await fetch(`${url}api/run`, { headers, signal: AbortSignal.timeout(2000) });
      if (r.ok) return { url: token ? `${url}?token=${token}` : url, origin: url, port, stop, child };
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  stop();
  throw new Error(`attnviz serve did not answer within ${timeoutMs} ms`);
}

export async function getJson(url) {
  const r = await fetch(url, { signal: AbortSignal.timeout(20000) });
  if (!r.ok) throw new Error(`${url}: ${r.status}`);
  return r.json();
}
