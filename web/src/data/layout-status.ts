// What the progress line says about the layout shown, and how often to ask the server again: a pure function
// of what /api/run reported (layouts, progress.json with the server's `running` verdict, docs/api.md).
import type { LayoutAvailability } from '../api';

// progress.json as /api/run passes it on: per file {done, total}, and whether its writer still runs.
export type ProgressInfo = { running?: boolean } & Record<string, unknown>;

export interface LayoutStatus {
  visible: boolean;
  text: string;
  fraction: number; // of the bar, 0..1
  pollMs: number | null; // when to refresh /api/run; null: the layout is complete, nothing to wait for
}

// A job that reports progress is polled quickly; otherwise (no job, a job that stopped, a broken file that
// only a new `attnviz layout` repairs) slowly, to notice a job started later.
export const POLL_RUNNING_MS = 1500;
export const POLL_IDLE_MS = 10000;

export function layoutStatus(
  a: LayoutAvailability,
  progress: ProgressInfo | null,
  file: string, // "tsne-2d": its key in progress.json
  label: string, // "t-SNE 2D"
  standIn: string | null, // the method shown meanwhile, if any
): LayoutStatus {
  const meanwhile = standIn ? ` · showing ${standIn} meanwhile` : '';
  if (a.problem)
    return {
      visible: true,
      text: `${label} unavailable: ${a.problem}${meanwhile}`,
      fraction: 0,
      pollMs: POLL_IDLE_MS,
    };
  if (a.heads_total <= 0 || a.heads_ready >= a.heads_total)
    return { visible: false, text: '', fraction: 1, pollMs: null };
  const entry = progress?.[file] as { done?: number; total?: number } | undefined;
  if (entry?.total && progress?.running) {
    const done = entry.done ?? 0;
    return {
      visible: true,
      text: `${label}: ${done} of ${entry.total} heads computed${meanwhile}`,
      fraction: done / entry.total,
      pollMs: POLL_RUNNING_MS,
    };
  }
  const ready = `${label}: ${a.heads_ready} of ${a.heads_total} heads ready`;
  const stopped = entry?.total
    ? ' · the layout job stopped before it finished (attnviz layout resumes it)'
    : '';
  return {
    visible: true,
    text: ready + stopped + meanwhile,
    fraction: a.heads_ready / a.heads_total,
    pollMs: entry?.total ? POLL_IDLE_MS : POLL_RUNNING_MS,
  };
}
