// Per-head metrics from metrics.json, flattened to named columns over the L*H heads (layer-major).
// Accepted shapes: an array of head records, {"heads": [...]}, or an object keyed "l{L}.h{H}" / "L:H"
// (at the top or under "heads", as attnviz layout writes it);
// a record's numeric fields (nested objects flattened with dots) become columns.

export interface HeadMetrics {
  names: string[];
  values: Map<string, Float32Array>; // NaN where a head lacks the figure
}

type Json = unknown;

function flatten(record: Json, prefix: string, into: Map<string, number>): void {
  if (typeof record === 'number' && Number.isFinite(record)) into.set(prefix, record);
  else if (record && typeof record === 'object' && !Array.isArray(record)) {
    for (const [k, v] of Object.entries(record)) {
      if (prefix === '' && (k === 'layer' || k === 'head')) continue;
      flatten(v, prefix ? `${prefix}.${k}` : k, into);
    }
  }
}

function headOfKey(key: string): [number, number] | null {
  const m = key.match(/^l(\d+)\.h(\d+)$/i) ?? key.match(/^(\d+):(\d+)$/);
  return m ? [Number(m[1]), Number(m[2])] : null;
}

export function parseMetrics(json: Json, layers: number, heads: number): HeadMetrics {
  const perHead: { layer: number; head: number; record: Json }[] = [];
  const collect = (list: Json[]) => {
    for (const r of list) {
      const o = r as { layer?: unknown; head?: unknown };
      if (typeof o?.layer === 'number' && typeof o?.head === 'number')
        perHead.push({ layer: o.layer, head: o.head, record: r });
    }
  };
  if (Array.isArray(json)) collect(json);
  else if (json && typeof json === 'object') {
    const obj = json as Record<string, Json>;
    if (Array.isArray(obj.heads)) collect(obj.heads);
    else {
      const keyed = obj.heads && typeof obj.heads === 'object' ? (obj.heads as Record<string, Json>) : obj;
      for (const [k, v] of Object.entries(keyed)) {
        const lh = headOfKey(k);
        if (lh) perHead.push({ layer: lh[0], head: lh[1], record: v });
      }
    }
  }
  const values = new Map<string, Float32Array>();
  for (const { layer, head, record } of perHead) {
    if (layer < 0 || layer >= layers || head < 0 || head >= heads) continue;
    const flat = new Map<string, number>();
    flatten(record, '', flat);
    for (const [name, v] of flat) {
      let col = values.get(name);
      if (!col) values.set(name, (col = new Float32Array(layers * heads).fill(NaN)));
      col[layer * heads + head] = v;
    }
  }
  return { names: [...values.keys()].sort(), values };
}

// Head indices (layer-major) sorted by a metric, descending; heads without a value go last.
export function sortHeads(values: Float32Array): number[] {
  return Array.from(values.keys()).sort((a, b) => {
    const va = Number.isNaN(values[a]) ? -Infinity : values[a];
    const vb = Number.isNaN(values[b]) ? -Infinity : values[b];
    return vb - va || a - b;
  });
}
