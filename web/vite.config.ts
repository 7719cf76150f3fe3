import { defineConfig } from 'vitest/config';

// The built front end (dist/) is served by `attnviz serve` at /; relative asset paths keep it movable.
export default defineConfig({
  base: './',
  build: { outDir: 'dist', chunkSizeWarningLimit: 2000 },
  test: { include: ['tests/unit/**/*.test.ts'] },
});
