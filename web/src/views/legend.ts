// The legend of the current colour mode, always on screen.
import type { Legend } from '../data/colors';

export function renderLegend(container: HTMLElement, legend: Legend, note: string): void {
  container.replaceChildren();
  const title = document.createElement('div');
  title.className = 'title';
  title.textContent = legend.title;
  container.append(title);
  if (legend.kind === 'categorical') {
    for (const item of legend.items) {
      const row = document.createElement('div');
      row.className = 'item';
      const swatch = document.createElement('span');
      swatch.className = 'swatch';
      swatch.style.background = item.color;
      row.append(swatch, item.label);
      container.append(row);
    }
  } else {
    const ramp = document.createElement('div');
    ramp.className = 'ramp';
    ramp.style.background = `linear-gradient(to right, ${legend.stops.join(', ')})`;
    const ends = document.createElement('div');
    ends.className = 'ends';
    const lo = document.createElement('span');
    lo.textContent = legend.min;
    const hi = document.createElement('span');
    hi.textContent = legend.max;
    ends.append(lo, hi);
    container.append(ramp, ends);
  }
  if (note) {
    const extra = document.createElement('div');
    extra.className = 'ends';
    extra.textContent = note;
    container.append(extra);
  }
}
