// Token search, all on the page (the run's token table is loaded anyway): what a query matches and the per-point
// emphasis a result gives.
//
// A query is an exact token ("the"), a substring (mode 'substring') or a regular expression written /…/ with
// the optional flag i. Tokens are compared by their display string trimmed, with the subword markers of
// WordPiece (`##ing`) and BPE / SentencePiece (`Ġing`, `▁ing`) removed unless `literal` is set; exact and
// substring matching ignore case; a regular expression follows its flags (case-sensitive without i).
//
// Bounds (a pattern comes from a URL as easily as from the box, and JavaScript cannot interrupt a regular
// expression): a pattern has at most MAX_PATTERN characters; a repeated group may not hold a repetition or an
// alternation (`(a+)+`, `(a|aa)*`: the shapes that backtrack exponentially), and a pattern holds at most
// MAX_REPETITIONS repetitions (k of them in a row, `\w*\w*…!`, backtrack as MAX_TOKEN^k); a regular
// expression sees at most MAX_TOKEN characters of each token; and matching stops with a message after
// BUDGET_MS, checked every CHECK_EVERY tokens (each at most MAX_TOKEN^3 steps, about a millisecond).

export const MAX_PATTERN = 200;
export const MAX_TOKEN = 64;
export const BUDGET_MS = 250;
export const MAX_REPETITIONS = 3;
const CHECK_EVERY = 16;

export interface SearchMode {
  match: 'exact' | 'substring'; // how a plain (non-/…/) query compares
  literal: boolean; // match subword markers (##, Ġ, ▁) literally instead of ignoring them
}

export const defaultSearchMode: SearchMode = { match: 'exact', literal: false };

export type SearchResult = { indices: Int32Array; error: null } | { indices: null; error: string };

const MARKERS = /^(##|Ġ|▁)/;

// A token's display string as search compares it.
export function searchText(text: string, literal: boolean): string {
  const trimmed = text.trim();
  return literal ? trimmed : trimmed.replace(MARKERS, '').trim();
}

// The tokens `query` matches, or a one-line reason it is not a valid query. `now` is the clock the budget is
// measured on (injectable for tests).
export function findTokens(
  texts: readonly string[],
  query: string,
  mode: SearchMode,
  now: () => number = () => performance.now(),
): SearchResult {
  const q = query.trim();
  if (q === '') return { indices: new Int32Array(0), error: null };
  if (q.length > MAX_PATTERN) return fail(`query longer than ${MAX_PATTERN} characters`);
  const test = matcher(q, mode);
  if (typeof test === 'string') return fail(test);
  const hits: number[] = [];
  const start = now();
  for (let i = 0; i < texts.length; i++) {
    if (test(searchText(texts[i], mode.literal))) hits.push(i);
    if (i % CHECK_EVERY === CHECK_EVERY - 1 && now() - start > BUDGET_MS)
      return fail(`search stopped after ${BUDGET_MS} ms (${i + 1} of ${texts.length} tokens): simplify it`);
  }
  return { indices: Int32Array.from(hits), error: null };
}

// Matching positions among one input's tokens (the sentence view's underlines); none for an invalid query.
export function matchTokens(texts: readonly string[], query: string, mode = defaultSearchMode): Int32Array {
  return findTokens(texts, query, mode).indices ?? new Int32Array(0);
}

function fail(error: string): SearchResult {
  return { indices: null, error };
}

// A predicate over search texts, or why the query is not valid.
function matcher(q: string, mode: SearchMode): ((text: string) => boolean) | string {
  const regex = /^\/(.+)\/([a-z]*)$/s.exec(q);
  if (regex) {
    const [, pattern, flags] = regex;
    if (flags !== '' && flags !== 'i') return `regular expression flag "${flags}": only i is allowed`;
    const risk = backtrackingRisk(pattern);
    if (risk) return risk;
    let re: RegExp;
    try {
      re = new RegExp(pattern, flags + 'u');
    } catch (e) {
      return `bad regular expression: ${(e as Error).message.replace(/^Invalid regular expression: /, '')}`;
    }
    return (text) => re.test(text.slice(0, MAX_TOKEN));
  }
  const needle = mode.literal ? q.toLowerCase() : searchText(q, false).toLowerCase();
  if (mode.match === 'substring') return (text) => text.toLowerCase().includes(needle);
  return (text) => text.toLowerCase() === needle;
}

// Why `pattern` could backtrack for long (a repeated group holding a repetition or an alternation, or more
// than MAX_REPETITIONS repetitions), or null. Escapes and character classes are skipped; `?` and
// `{0,1}`/`{1}` do not count as repetition.
export function backtrackingRisk(pattern: string): string | null {
  const groups: boolean[] = []; // per open group: whether it holds a repetition or an alternation
  let inClass = false;
  let count = 0; // repetitions so far
  let afterGroup = false; // pattern[i - 1] closed a group (whose repetition that branch counted)
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i];
    const closes = afterGroup;
    afterGroup = false;
    if (c === '\\') {
      i++;
      continue;
    }
    if (inClass) {
      if (c === ']') inClass = false;
      continue;
    }
    if (c === '[') inClass = true;
    else if (c === '(') groups.push(false);
    else if (c === '|' && groups.length) groups[groups.length - 1] = true;
    else if (c === ')') {
      const risky = groups.pop() ?? false;
      const repeated = repeats(pattern, i + 1);
      if (repeated) count++;
      afterGroup = true;
      if (repeated && risky) return 'a repeated group may not hold a repetition or an alternation';
      if ((repeated || risky) && groups.length) groups[groups.length - 1] = true;
    } else if (repeats(pattern, i) && !closes) {
      count++;
      if (groups.length) groups[groups.length - 1] = true;
    }
    if (count > MAX_REPETITIONS)
      return `at most ${MAX_REPETITIONS} repetitions (*, +, {n,}) in a pattern: more can backtrack for minutes`;
  }
  return null;
}

// Whether a quantifier that repeats (*, +, {n,}, {n,m} with m > 1) starts at pattern[i].
function repeats(pattern: string, i: number): boolean {
  const c = pattern[i];
  if (c === '*' || c === '+') return true;
  const braces = /^\{(\d+)(,(\d*))?\}/.exec(pattern.slice(i));
  if (!braces) return false;
  if (braces[2] === undefined) return Number(braces[1]) > 1;
  return braces[3] === '' || Number(braces[3]) > 1;
}

// Matches grouped by input: each input with the positions of its matching tokens, in token order.
export function groupByInput(
  indices: ArrayLike<number>,
  sequence: ArrayLike<number>,
): { sequence: number; tokens: number[] }[] {
  const groups = new Map<number, number[]>();
  for (let k = 0; k < indices.length; k++) {
    const t = indices[k];
    const list = groups.get(sequence[t]);
    if (list) list.push(t);
    else groups.set(sequence[t], [t]);
  }
  return Array.from(groups, ([s, tokens]) => ({ sequence: s, tokens }));
}

// Radius of each of the 2N points: `big` for the query and the key of every matching token, else `base`.
export function searchRadii(indices: ArrayLike<number>, n: number, base: number, big: number): Float32Array {
  const radii = new Float32Array(2 * n).fill(base);
  for (let i = 0; i < indices.length; i++) {
    const t = indices[i];
    if (t < 0 || t >= n) throw new Error(`search result ${t} outside the ${n} tokens`);
    radii[t] = big;
    radii[t + n] = big;
  }
  return radii;
}

// 0/1 mask over tokens for a list of token indices.
export function tokenMask(indices: ArrayLike<number>, n: number): Uint8Array {
  const mask = new Uint8Array(n);
  for (let i = 0; i < indices.length; i++) mask[indices[i]] = 1;
  return mask;
}
