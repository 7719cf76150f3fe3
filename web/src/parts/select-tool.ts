// Lasso and box selection in the single view (issue 14 item 1). The toolbar's "pan / lasso / box" switch
// picks what a drag on the canvas does: pan (deck.gl's camera), or draw a lasso / box on an overlay above
// the canvas. When the drag ends, the points whose screen positions lie inside (2D, or 3D as seen) become the
// selection (state key `selection`); with Shift held they are added to it. Escape clears it (keyboard.ts).
import type { Context } from '../context';
import { $ } from '../dom';
import { point3 } from '../data/grid';
import { pointsInBox, pointsInPolygon, unionSelection } from '../data/select';
import type { AppPart, Keys, Reads } from '../state';
import type { SingleScene } from '../views/scenes';

const KEYS = ['view'] as const satisfies Keys;
type Tool = 'pan' | 'lasso' | 'box';
const TOOLS: Tool[] = ['pan', 'lasso', 'box'];
const SVG = 'http://www.w3.org/2000/svg';

export class SelectTool implements AppPart<typeof KEYS> {
  readonly keys = KEYS;
  private tool: Tool = 'pan';
  private overlay = document.createElementNS(SVG, 'svg');
  private outline = document.createElementNS(SVG, 'polygon');
  private drag: number[] | null = null; // x,y corners of the lasso (or the box's two corners) being drawn

  constructor(
    private ctx: Context,
    private scene: () => SingleScene | null,
  ) {
    this.overlay.classList.add('select-overlay');
    this.overlay.dataset.testid = 'select-overlay';
    this.overlay.append(this.outline);
    $('deck').append(this.overlay);
    for (const tool of TOOLS) $(`tool-${tool}`).addEventListener('click', () => this.use(tool));
    this.overlay.addEventListener('pointerdown', (e) => this.start(e));
    this.overlay.addEventListener('pointermove', (e) => this.move(e));
    this.overlay.addEventListener('pointerup', (e) => this.end(e));
    this.overlay.addEventListener('pointercancel', () => this.cancel());
  }

  update(s: Reads<typeof KEYS>): void {
    this.overlay.classList.toggle('active', s.view === 'single' && this.tool !== 'pan');
  }

  private use(tool: Tool): void {
    this.tool = tool;
    for (const t of TOOLS) $(`tool-${t}`).classList.toggle('active', t === tool);
    this.update(this.ctx.store.get());
  }

  private local(e: PointerEvent): [number, number] {
    const rect = this.overlay.getBoundingClientRect();
    return [e.clientX - rect.left, e.clientY - rect.top];
  }

  private start(e: PointerEvent): void {
    if (e.button !== 0) return;
    this.overlay.setPointerCapture(e.pointerId);
    this.drag = this.local(e);
    this.drawOutline();
  }

  private move(e: PointerEvent): void {
    if (!this.drag) return;
    const [x, y] = this.local(e);
    if (this.tool === 'box') this.drag = [this.drag[0], this.drag[1], x, y];
    else {
      const [lx, ly] = this.drag.slice(-2);
      if (Math.hypot(x - lx, y - ly) >= 2) this.drag.push(x, y);
    }
    this.drawOutline();
  }

  private end(e: PointerEvent): void {
    const drag = this.drag;
    if (!drag) return;
    this.move(e);
    this.drag = null;
    const screen = this.screenPositions();
    if (!screen) return this.cancel();
    const inside =
      this.tool === 'box'
        ? drag.length === 4
          ? pointsInBox(screen, drag[0], drag[1], drag[2], drag[3])
          : new Int32Array(0)
        : pointsInPolygon(screen, drag);
    const { store } = this.ctx;
    const previous = store.get().selection;
    const selection = e.shiftKey && previous ? unionSelection(previous, inside) : inside;
    this.cancel();
    store.set({ selection: selection.length > 0 ? selection : null });
  }

  private cancel(): void {
    this.drag = null;
    this.outline.setAttribute('points', '');
  }

  // The box's four corners, or the lasso's corners, as the outline drawn while dragging.
  private drawOutline(): void {
    const d = this.drag!;
    const corners =
      this.tool === 'box' && d.length === 4 ? [d[0], d[1], d[2], d[1], d[2], d[3], d[0], d[3]] : d;
    this.outline.setAttribute('points', corners.map((v) => v.toFixed(1)).join(' '));
  }

  // Screen position (canvas pixels) of every point of the single view; NaN where it cannot be projected.
  private screenPositions(): Float32Array | null {
    const scene = this.scene();
    if (!scene) return null;
    const screen = new Float32Array(scene.points * 2).fill(NaN);
    for (let p = 0; p < scene.points; p++) {
      const xy = this.ctx.canvas.project(point3(scene.positions, p));
      if (xy) screen.set(xy, 2 * p);
    }
    return screen;
  }
}
