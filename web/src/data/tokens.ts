// The token table of a run in typed columns, plus per-token facts the colour modes and search need.

export interface TokensJson {
  token: string[];
  token_id?: number[];
  sequence: number[];
  position: number[];
  char_start?: number[];
  char_end?: number[];
  patch_row?: number[];
  patch_col?: number[];
  special?: number[];
}

export interface SequenceInfo {
  first_token: number;
  token_count: number;
  text?: string;
  image?: string;
  grid?: [number, number];
}

export interface Tokens {
  n: number;
  text: string[];
  tokenId: Int32Array;
  sequence: Int32Array;
  position: Int32Array;
  special: Uint8Array;
  patchRow: Int32Array | null;
  patchCol: Int32Array | null;
  sequenceLength: Int32Array; // token count of each token's input
}

export function makeTokens(json: TokensJson, sequences: SequenceInfo[]): Tokens {
  const n = json.token.length;
  for (const key of ['sequence', 'position'] as const) {
    if (!Array.isArray(json[key]) || json[key].length !== n)
      throw new Error(`tokens: column ${key} must have ${n} entries`);
  }
  const sequence = Int32Array.from(json.sequence);
  const sequenceLength = new Int32Array(n);
  for (let i = 0; i < n; i++) sequenceLength[i] = sequences[sequence[i]]?.token_count ?? 0;
  return {
    n,
    text: json.token,
    tokenId: Int32Array.from(json.token_id ?? new Array(n).fill(-1)),
    sequence,
    position: Int32Array.from(json.position),
    special: Uint8Array.from(json.special ?? new Array(n).fill(0)),
    patchRow: json.patch_row ? Int32Array.from(json.patch_row) : null,
    patchCol: json.patch_col ? Int32Array.from(json.patch_col) : null,
    sequenceLength,
  };
}

// Point i of a head's layout (0..2N-1) is query i or key i-N.
export function pointToken(point: number, n: number): { token: number; isKey: boolean } {
  return point < n ? { token: point, isKey: false } : { token: point - n, isKey: true };
}

const punctuation = /^[\p{P}\p{S}]+$/u;
export function isPunctuation(text: string): boolean {
  return punctuation.test(text.trim());
}
