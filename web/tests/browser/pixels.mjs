// Pixel checks on screenshots, decoded by the browser itself (a blank page with a 2D canvas), so no image
// library is needed.
export class Pixels {
  constructor(page) {
    this.page = page;
  }

  static async open(browser) {
    const page = await browser.newPage();
    await page.setContent('<canvas id="c"></canvas>');
    return new Pixels(page);
  }

  // For each rect {x, y, width, height} of the PNG: how many pixels differ from `background` (RGB) by more
  // than `tolerance` in any channel.
  async countNonBackground(png, rects, background, tolerance = 24) {
    return this.page.evaluate(
      async ({ b64, rects, background, tolerance }) => {
        const bytes = Uint8Array.from(atob(b64), (c) => c.charCodeAt(0));
        const bitmap = await createImageBitmap(new Blob([bytes], { type: 'image/png' }));
        const canvas = document.getElementById('c');
        canvas.width = bitmap.width;
        canvas.height = bitmap.height;
        const ctx = canvas.getContext('2d');
        ctx.drawImage(bitmap, 0, 0);
        return rects.map((r) => {
          const x = Math.max(0, Math.round(r.x));
          const y = Math.max(0, Math.round(r.y));
          const w = Math.max(1, Math.min(bitmap.width - x, Math.round(r.width)));
          const h = Math.max(1, Math.min(bitmap.height - y, Math.round(r.height)));
          const d = ctx.getImageData(x, y, w, h).data;
          let count = 0;
          for (let i = 0; i < d.length; i += 4) {
            if (
              Math.abs(d[i] - background[0]) > tolerance ||
              Math.abs(d[i + 1] - background[1]) > tolerance ||
              Math.abs(d[i + 2] - background[2]) > tolerance
            )
              count++;
          }
          return count;
        });
      },
      { b64: png.toString('base64'), rects, background, tolerance },
    );
  }

  // Fraction of pixels that differ (any channel by more than `tolerance`) between two same-size PNGs.
  async diffFraction(pngA, pngB, tolerance = 8) {
    return this.page.evaluate(
      async ({ a, b, tolerance }) => {
        const decode = async (b64) => {
          const bytes = Uint8Array.from(atob(b64), (c) => c.charCodeAt(0));
          const bitmap = await createImageBitmap(new Blob([bytes], { type: 'image/png' }));
          const canvas = new OffscreenCanvas(bitmap.width, bitmap.height);
          const ctx = canvas.getContext('2d');
          ctx.drawImage(bitmap, 0, 0);
          return ctx.getImageData(0, 0, bitmap.width, bitmap.height);
        };
        const [da, db] = [await decode(a), await decode(b)];
        if (da.width !== db.width || da.height !== db.height) return 1;
        let differ = 0;
        for (let i = 0; i < da.data.length; i += 4) {
          if (
            Math.abs(da.data[i] - db.data[i]) > tolerance ||
            Math.abs(da.data[i + 1] - db.data[i + 1]) > tolerance ||
            Math.abs(da.data[i + 2] - db.data[i + 2]) > tolerance
          )
            differ++;
        }
        return differ / (da.width * da.height);
      },
      { a: pngA.toString('base64'), b: pngB.toString('base64'), tolerance },
    );
  }
}
