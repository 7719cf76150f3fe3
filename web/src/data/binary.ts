// Binary payloads of the API: little-endian float32 arrays whose shape is in the X-Attnviz-Shape header.

export function parseShape(header: string | null): number[] {
  if (!header) throw new Error('response has no X-Attnviz-Shape header');
  const dims = header.split(',').map((part) => Number(part.trim()));
  if (dims.length === 0 || dims.some((d) => !Number.isInteger(d) || d < 0)) {
    throw new Error(`malformed X-Attnviz-Shape "${header}"`);
  }
  return dims;
}

// A Float32Array over the whole buffer, checked against the announced shape.
export function float32WithShape(buffer: ArrayBuffer, shape: number[]): Float32Array {
  const count = shape.reduce((a, b) => a * b, 1);
  if (buffer.byteLength !== count * 4) {
    throw new Error(`payload has ${buffer.byteLength} bytes, shape [${shape.join(', ')}] needs ${count * 4}`);
  }
  return new Float32Array(buffer);
}
