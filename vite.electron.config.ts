// The desktop shell: main process + engine worker thread (ESM), and the
// preload (CommonJS: sandboxed preloads cannot load ES modules) → dist-electron/.
//   vite build -c vite.electron.config.ts                 (main, engine-worker, analyze-worker: the flow worker of OpenOptions.threads)
//   vite build -c vite.electron.config.ts --mode preload  (preload.cjs)
// The engine and every dependency are bundled in; only electron and Node's
// built-ins stay external.
import { defineConfig } from 'vite';
import { builtinModules } from 'node:module';
import { fileURLToPath } from 'node:url';

const r = (p: string) => fileURLToPath(new URL(p, import.meta.url));
const external = ['electron', ...builtinModules, ...builtinModules.map((m) => `node:${m}`)];

export default defineConfig(({ mode }) => {
  const preload = mode === 'preload';
  return {
    publicDir: false,
    ssr: { noExternal: true, external: ['electron'] },
    build: {
      ssr: true,
      outDir: r('./dist-electron'),
      emptyOutDir: !preload,
      target: 'node22',
      sourcemap: true,
      minify: false,
      rollupOptions: {
        input: preload ? { preload: r('./electron/preload.ts') } : { main: r('./electron/main.ts'), 'engine-worker': r('./electron/engine-worker.ts'), 'analyze-worker': r('./src/host/node/analyze-worker.ts') },
        external,
        output: preload
          ? { format: 'cjs', entryFileNames: '[name].cjs' }
          : { format: 'es', entryFileNames: '[name].js', chunkFileNames: 'chunks/[name]-[hash].js' },
      },
    },
  };
});
