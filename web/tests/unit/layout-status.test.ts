import { describe, expect, it } from 'vitest';
import type { LayoutAvailability } from '../../src/api';
import { layoutStatus, POLL_IDLE_MS, POLL_RUNNING_MS } from '../../src/data/layout-status';

const half: LayoutAvailability = { method: 'tsne', dim: 2, heads_ready: 24, heads_total: 48 };

describe('layoutStatus', () => {
  it('hides the bar and stops polling once every head is on disk', () => {
    const s = layoutStatus({ ...half, heads_ready: 48 }, null, 'tsne-2d', 't-SNE 2D', null);
    expect(s).toEqual({ visible: false, text: '', fraction: 1, pollMs: null });
  });

  it('counts computed heads while the job runs, and polls quickly', () => {
    const progress = { running: true, 'tsne-2d': { done: 30, total: 48 } };
    const s = layoutStatus(half, progress, 'tsne-2d', 't-SNE 2D', 'PCA');
    expect(s.text).toBe('t-SNE 2D: 30 of 48 heads computed · showing PCA meanwhile');
    expect(s.fraction).toBeCloseTo(30 / 48);
    expect(s.pollMs).toBe(POLL_RUNNING_MS);
  });

  it('says a job that stopped (killed, or silent) has stopped, and polls slowly', () => {
    const progress = { running: false, 'tsne-2d': { done: 30, total: 48 } };
    const s = layoutStatus(half, progress, 'tsne-2d', 't-SNE 2D', null);
    expect(s.text).toBe(
      't-SNE 2D: 24 of 48 heads ready · the layout job stopped before it finished (attnviz layout resumes it)',
    );
    expect(s.fraction).toBeCloseTo(0.5);
    expect(s.pollMs).toBe(POLL_IDLE_MS);
  });

  it('counts ready heads when no job reports progress (the server computes on demand)', () => {
    const s = layoutStatus(
      half,
      { running: false, 'pca-2d': { done: 1, total: 1 } },
      'tsne-2d',
      't-SNE 2D',
      null,
    );
    expect(s.text).toBe('t-SNE 2D: 24 of 48 heads ready');
    expect(s.pollMs).toBe(POLL_RUNNING_MS);
  });

  it('names a broken file and what stands in for it', () => {
    const broken = {
      ...half,
      heads_ready: 0,
      problem: 'layouts/tsne-2d.safetensors: not a safetensors file',
    };
    const s = layoutStatus(broken, null, 'tsne-2d', 't-SNE 2D', 'PCA');
    expect(s.visible).toBe(true);
    expect(s.text).toBe(
      't-SNE 2D unavailable: layouts/tsne-2d.safetensors: not a safetensors file · showing PCA meanwhile',
    );
    expect(s.pollMs).toBe(POLL_IDLE_MS);
  });
});
