import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vite';

/** The portal builds into dist/public, which the worker serves through ASSETS and Node serves too. */
export default defineConfig({
  root: fileURLToPath(new URL('.', import.meta.url)),
  base: '/',
  build: {
    outDir: fileURLToPath(new URL('../dist/public', import.meta.url)),
    emptyOutDir: false, // the docs script lives beside it
    assetsDir: 'assets',
    sourcemap: false,
  },
  oxc: { jsx: { runtime: 'automatic', importSource: 'preact' } },
});
