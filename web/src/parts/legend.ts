// The legend, always on screen: the colour mode's key (handed over by the view that coloured the points)
// and notes on what else the picture encodes.
import type { Legend } from '../data/colors';
import { typeLabel } from '../data/names';
import type { AppPart, Keys, Reads } from '../state';
import { renderLegend } from '../views/legend';

const KEYS = [
  'view',
  'searchIndices',
  'searchQuery',
  'sizeByNorm',
  'cellMetric',
  'sortCells',
  'cellOrder',
  'headsSize',
] as const satisfies Keys;

export class LegendPanel implements AppPart<typeof KEYS> {
  readonly keys = KEYS;
  private legend: Legend | null = null;
  private state: Reads<typeof KEYS> | null = null;

  constructor(private element: HTMLElement) {}

  update(s: Reads<typeof KEYS>): void {
    this.state = s;
    this.render();
  }

  show(legend: Legend): void {
    this.legend = legend;
    this.render();
  }

  private render(): void {
    const s = this.state;
    if (!this.legend || !s) return;
    const notes = [];
    if (s.searchIndices) notes.push(`search "${s.searchQuery}": enlarged`);
    if (s.view === 'single' && s.sizeByNorm) notes.push('size: vector norm');
    const bySimilarity = s.sortCells && s.cellOrder === 'similarity';
    if (s.view === 'matrix' && s.cellMetric)
      notes.push(`cells: ${s.cellMetric}${s.sortCells && !bySimilarity ? ' (sorted)' : ''}`);
    if (s.view === 'matrix' && bySimilarity) notes.push('cells: similar heads side by side');
    if (s.view === 'heads') notes.push(`size: ${s.headsSize ? typeLabel(s.headsSize) : 'all alike'}`);
    renderLegend(this.element, this.legend, notes.join(' · '));
  }
}
