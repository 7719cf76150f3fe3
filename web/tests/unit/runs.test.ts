import { describe, expect, it } from 'vitest';
import type { ServedRun } from '../../src/api';
import { carriedView, chooseRun, switchQuery } from '../../src/data/runs';
import { decodeState } from '../../src/data/url-state';

const run = (name: string, layers = 4, heads = 12): ServedRun => ({
  name,
  prefix: `api/runs/${name}/`,
  model: 'gpt2',
  modality: 'text',
  layers,
  heads,
  sequences: 3,
  tokens: 30,
});

describe('several runs', () => {
  it('opens the requested run when served, else the first', () => {
    const runs = [run('gpt'), run('bert')];
    expect(chooseRun(runs, 'bert').name).toBe('bert');
    expect(chooseRun(runs, 'nope').name).toBe('gpt');
    expect(chooseRun(runs, null).name).toBe('gpt');
  });
  it('carries the view through a switch, keeping other parameters', () => {
    const query = switchQuery('?token=abc&run=gpt&color=position&p=17&hide=3,4', run('bert', 12, 12), {
      view: 'single',
      method: 'umap',
      dim: 3,
      layer: 3,
      head: 11,
    });
    const params = new URLSearchParams(query);
    expect(params.get('token')).toBe('abc');
    expect(params.get('run')).toBe('bert');
    expect(params.get('color')).toBe('position');
    expect(carriedView(query, () => true)).toEqual({ method: 'umap', dim: 3 });
    expect([params.get('l'), params.get('h')]).toEqual(['3', '11']);
  });
  it('writes layer and head clamped to the run opened; the run drops a method it cannot show', () => {
    const query = switchQuery('', run('small', 2, 4), {
      view: 'single',
      method: 'tsne',
      dim: 2,
      layer: 9,
      head: 11,
    });
    expect(carriedView(query, (m) => m !== 'tsne')).toEqual({ dim: 2 });
    const patch = decodeState(query, {
      layers: 2,
      heads: 4,
      n: 30,
      colorModes: [],
      metrics: [],
      values: false,
      headScores: null,
    });
    expect([patch.layer, patch.head]).toEqual([1, 3]);
  });
  it("writes the permalink's parameter names and drops the tokens of the run left", () => {
    const query = switchQuery('?p=17&hide=3,4&l=1', run('bert'), {
      view: 'single',
      method: 'pca',
      dim: 2,
      layer: 2,
      head: 5,
    });
    const patch = decodeState(query, {
      layers: 4,
      heads: 12,
      n: 30,
      colorModes: [],
      metrics: [],
      values: false,
      headScores: null,
    });
    expect(patch).toEqual({ run: 'bert', view: 'single', method: 'pca', dim: 2, layer: 2, head: 5 });
  });
  it('leaves out what is malformed', () => {
    expect(carriedView('?view=heads!&method=x&dim=4&l=-1&h=1e3', () => true)).toEqual({});
    expect(carriedView('', () => true)).toEqual({});
  });
});
