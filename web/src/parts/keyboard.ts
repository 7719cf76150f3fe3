// Keyboard navigation of the single view: arrow keys move to the neighbouring head (left / right) or layer
// (up / down), Escape clears the lasso / box selection if there is one (in either view), else goes back to all
// heads (from the single view and the heads view). Keys typed into a text field are left alone.
import type { Context } from '../context';

const MOVES: Record<string, [number, number]> = {
  ArrowLeft: [0, -1],
  ArrowRight: [0, 1],
  ArrowUp: [-1, 0],
  ArrowDown: [1, 0],
};

export function listenToKeys({ store, data }: Context): void {
  window.addEventListener('keydown', (e) => {
    const s = store.get();
    if ((e.target as HTMLElement).tagName === 'INPUT') return;
    if (e.key === 'Escape' && s.selection) return store.set({ selection: null, isolate: false });
    if (s.view === 'heads' && e.key === 'Escape') return store.set({ view: 'matrix' });
    if (s.view !== 'single') return;
    if (e.key === 'Escape') store.set({ view: 'matrix', selected: null });
    const move = MOVES[e.key];
    if (!move) return;
    e.preventDefault();
    const layer = Math.min(data.layers - 1, Math.max(0, s.layer + move[0]));
    const head = Math.min(data.heads - 1, Math.max(0, s.head + move[1]));
    if (layer !== s.layer || head !== s.head) store.set({ layer, head, selected: null });
  });
}
