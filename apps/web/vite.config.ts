import { defineConfig } from 'vite';

// A fully static page: sources of the workspace packages through their `@fstool/source` condition,
// the worker bundled as an ES module, no `define`s (the TOML parser needs no `global` shim here).
export default defineConfig({
  base: './',
  resolve: { conditions: ['@fstool/source', 'browser', 'module', 'import', 'default'] },
  // One worker file, the lazily imported ext reader inlined: everything the page needs is fetched
  // when it loads, so it keeps working offline.
  worker: { format: 'es', rolldownOptions: { output: { inlineDynamicImports: true } } },
  build: {
    target: 'es2022',
    outDir: 'dist/site',
    emptyOutDir: true,
    chunkSizeWarningLimit: 1024,
    rolldownOptions: {
      // @iarna/toml probes for Node's util.inspect in a guarded eval; in a page it fails harmlessly
      // (and the Content-Security-Policy forbids it), so the bundler's warning says nothing useful.
      onLog(level, log, handler) {
        if (log.code === 'EVAL' && log.id?.includes('@iarna/toml')) return;
        handler(level, log);
      },
    },
  },
  preview: { host: '127.0.0.1', port: 4173, strictPort: true },
});
