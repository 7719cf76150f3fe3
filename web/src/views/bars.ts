// Small SVG bar charts (the aggregate by relative position, the selection's histogram of positions) and the
// SVG element helper the SVG views share.
const SVG = 'http://www.w3.org/2000/svg';

export function svgElement<K extends keyof SVGElementTagNameMap>(
  name: K,
  attrs: Record<string, string | number>,
): SVGElementTagNameMap[K] {
  const node = document.createElementNS(SVG, name);
  for (const [k, v] of Object.entries(attrs)) node.setAttribute(k, String(v));
  return node;
}

export interface BarsOptions {
  width: number;
  height: number; // of the bars; the caption and the axis labels add 40 pixels
  tip: (x: number, value: number) => string; // a bar's tooltip
}

// One bar a value (xs[k], values[k]), scaled to the largest, with a caption above and the first, last and
// zero x labelled below. Replaces the container's content.
export function renderBars(
  container: Element,
  xs: ArrayLike<number>,
  values: ArrayLike<number>,
  title: string,
  { width, height, tip }: BarsOptions,
): void {
  container.replaceChildren();
  const count = xs.length;
  const barW = Math.max(1, (width - 20) / Math.max(1, count));
  let top = 1e-9;
  for (let k = 0; k < count; k++) top = Math.max(top, values[k]);
  const svg = svgElement('svg', { width, height: height + 40 });
  const caption = svgElement('text', { x: 0, y: 12 });
  caption.textContent = title;
  svg.append(caption);
  for (let k = 0; k < count; k++) {
    const h = (values[k] / top) * height;
    const rect = svgElement('rect', {
      x: 10 + k * barW,
      y: 20 + height - h,
      width: Math.max(1, barW - 1),
      height: h,
    });
    const title = svgElement('title', {});
    title.textContent = tip(xs[k], values[k]);
    rect.append(title);
    svg.append(rect);
    if (xs[k] === 0 || k === 0 || k === count - 1) {
      const label = svgElement('text', { x: 10 + k * barW, y: height + 34 });
      label.textContent = String(xs[k]);
      svg.append(label);
    }
  }
  container.append(svg);
}
