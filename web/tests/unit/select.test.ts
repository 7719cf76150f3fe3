import { describe, expect, it } from 'vitest';
import {
  HIGHLIGHT,
  brushColors,
  brushRadii,
  pointInPolygon,
  pointsInBox,
  pointsInPolygon,
  selectionCsv,
  selectionMask,
  summarizeSelection,
  unionSelection,
} from '../../src/data/select';
import { makeTokens } from '../../src/data/tokens';

// Two inputs: "the cat , the" (4 tokens) and "a \"b\"" (2 tokens).
const tokens = makeTokens(
  {
    token: ['the', 'cat', ',', 'the', 'a', '"b"'],
    token_id: [5, 6, 7, 5, 8, 9],
    sequence: [0, 0, 0, 0, 1, 1],
    position: [0, 1, 2, 3, 0, 1],
  },
  [
    { first_token: 0, token_count: 4 },
    { first_token: 4, token_count: 2 },
  ],
);

describe('point in polygon and box', () => {
  // A concave "L": the square [0,2]x[0,2] without its top-right quarter [1,2]x[0,1].
  const l = [0, 0, 1, 0, 1, 1, 2, 1, 2, 2, 0, 2];
  it('follows the even-odd rule on a concave polygon', () => {
    expect(pointInPolygon(0.5, 0.5, l)).toBe(true);
    expect(pointInPolygon(1.5, 1.5, l)).toBe(true);
    expect(pointInPolygon(1.5, 0.5, l)).toBe(false); // the missing quarter
    expect(pointInPolygon(3, 1.5, l)).toBe(false);
    expect(pointInPolygon(-0.1, 1, l)).toBe(false);
  });
  it('selects the points inside, ignoring off-screen (NaN) ones and degenerate polygons', () => {
    const screen = Float32Array.from([0.5, 0.5, 1.5, 0.5, 1.5, 1.5, NaN, NaN, 5, 5]);
    expect(Array.from(pointsInPolygon(screen, l))).toEqual([0, 2]);
    expect(pointsInPolygon(screen, [0, 0, 3, 3]).length).toBe(0);
    expect(Array.from(pointsInBox(screen, 2, 2, 1, 0))).toEqual([1, 2]);
    expect(Array.from(pointsInBox(screen, 0, 0, 10, 10))).toEqual([0, 1, 2, 4]);
  });
  it('a self-intersecting lasso (a bow tie) encloses both loops', () => {
    const bowTie = [0, 0, 2, 2, 2, 0, 0, 2];
    expect(pointInPolygon(0.2, 1, bowTie)).toBe(true);
    expect(pointInPolygon(1.8, 1, bowTie)).toBe(true);
    expect(pointInPolygon(1, 0.2, bowTie)).toBe(false);
  });
});

describe('selections', () => {
  it('merges sorted and without repeats, and masks the joint points', () => {
    const merged = unionSelection(Int32Array.from([7, 1, 3]), Int32Array.from([3, 11, 2]));
    expect(Array.from(merged)).toEqual([1, 2, 3, 7, 11]);
    expect(Array.from(selectionMask(Int32Array.from([0, 3, 99]), 4))).toEqual([1, 0, 0, 1]);
  });
  it('highlights the selected points and fades the rest only when isolating', () => {
    const colors = new Uint8Array(3 * 4).fill(200);
    const mask = Uint8Array.from([0, 1, 0]);
    const shown = brushColors(colors, mask, false, 20);
    expect(Array.from(shown.subarray(4, 8))).toEqual(HIGHLIGHT);
    expect(shown[3]).toBe(200);
    const isolated = brushColors(colors, mask, true, 20);
    expect([isolated[3], isolated[7], isolated[11]]).toEqual([20, 255, 20]);
    expect(colors[3]).toBe(200); // the input is left alone
  });
  it('draws the selected points bigger, keeping larger radii', () => {
    const mask = Uint8Array.from([1, 0, 1]);
    expect(Array.from(brushRadii(null, mask, 1, 2))).toEqual([2, 1, 2]);
    expect(Array.from(brushRadii(Float32Array.from([3, 3, 1]), mask, 1, 2))).toEqual([3, 3, 2]);
  });
});

describe('selection summary and CSV', () => {
  // Points: queries 0..5, keys 6..11. Selected: queries "the"(0), "the"(3), key "the"(6), key "b"(11).
  const selection = Int32Array.from([0, 3, 6, 11]);
  it('counts queries, keys, tokens, positions and inputs', () => {
    const s = summarizeSelection(selection, tokens);
    expect([s.queries, s.keys]).toEqual([2, 2]);
    expect(s.topTokens).toEqual([
      ['the', 3],
      ['"b"', 1],
    ]);
    expect(Array.from(s.positions)).toEqual([2, 1, 0, 1]);
    expect(s.inputs).toEqual([
      { sequence: 0, count: 3, firstPoint: 0 },
      { sequence: 1, count: 1, firstPoint: 11 },
    ]);
    const empty = summarizeSelection(new Int32Array(0), tokens);
    expect([empty.queries, empty.keys, empty.positions.length, empty.inputs.length]).toEqual([0, 0, 0, 0]);
  });
  it('writes one row a point with the layout coordinates, quoting where needed', () => {
    const coords = Float32Array.from({ length: 12 * 2 }, (_, i) => i / 2);
    const csv = selectionCsv(Int32Array.from([1, 11]), tokens, coords, 2);
    expect(csv).toBe(
      'token,token_id,input,position,kind,x,y\ncat,6,0,1,query,1,1.5\n"""b""",9,1,1,key,11,11.5\n',
    );
    const coords3 = Float32Array.from({ length: 12 * 3 }, (_, i) => i);
    expect(selectionCsv(Int32Array.from([2]), tokens, coords3, 3).split('\n')[1]).toBe('",",7,0,2,query,6,7');
  });
  it('writes a token that a spreadsheet would run as a formula as text, numbers as they are', () => {
    const hostile = makeTokens(
      {
        token: ['=HYPERLINK("x")', '-', '+1', '@SUM(A1)', 'ok'],
        token_id: [1, 2, 3, 4, 5],
        sequence: [0, 0, 0, 0, 0],
        position: [0, 1, 2, 3, 4],
      },
      [{ first_token: 0, token_count: 5 }],
    );
    const coords = Float32Array.from({ length: 10 * 2 }, (_, i) => -i);
    const rows = selectionCsv(Int32Array.from([0, 1, 2, 3, 4]), hostile, coords, 2).split('\n');
    expect(rows.slice(1, 6)).toEqual([
      `"'=HYPERLINK(""x"")",1,0,0,query,0,-1`,
      "'-,2,0,1,query,-2,-3",
      "'+1,3,0,2,query,-4,-5",
      "'@SUM(A1),4,0,3,query,-6,-7",
      'ok,5,0,4,query,-8,-9',
    ]);
  });
});
