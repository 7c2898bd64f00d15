import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { tempDir } from './temp.js';

/** What one node process loaded: its exit code, output, and every module file it read (ESM and CommonJS). */
export interface ModuleTrace {
  code: number | null;
  out: string;
  err: string;
  /** Absolute paths, in load order for ESM, then CommonJS. */
  modules: string[];
}

// Preloaded with --import: a module hook logs every ESM load (it runs on the loader thread, so it
// appends to a file); on exit the CommonJS cache (commander, cli-progress, …) is listed too.
const HOOKS = `import { appendFileSync } from 'node:fs';
export async function load(url, context, next) {
  if (url.startsWith('file:')) appendFileSync(process.env.FSTOOL_MODULE_TRACE, url + '\\n');
  return next(url, context);
}`;
const PRELOAD = `import { appendFileSync } from 'node:fs';
import { createRequire, register } from 'node:module';
import { pathToFileURL } from 'node:url';
register('./hooks.mjs', import.meta.url);
const cache = createRequire(import.meta.url).cache;
process.on('exit', () => {
  const files = Object.keys(cache).map((f) => pathToFileURL(f).href + '\\n');
  appendFileSync(process.env.FSTOOL_MODULE_TRACE, files.join(''));
});`;

/**
 * Runs `node ARGS…` and reports which module files it loaded: a check that start-up stays lazy
 * (a command loads only what it uses), judged by what Node actually read rather than by timing.
 */
export async function traceModules(args: string[], opts: { cwd?: string } = {}): Promise<ModuleTrace> {
  const dir = tempDir('fstool-trace-');
  try {
    writeFileSync(dir.join('hooks.mjs'), HOOKS);
    writeFileSync(dir.join('preload.mjs'), PRELOAD);
    const log = dir.join('modules.log');
    writeFileSync(log, '');
    const child = spawn(process.execPath, ['--import', dir.join('preload.mjs'), ...args], {
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, FSTOOL_MODULE_TRACE: log },
      ...(opts.cwd ? { cwd: opts.cwd } : {}),
    });
    let out = '';
    let err = '';
    child.stdout.on('data', (d) => {
      out += d;
    });
    child.stderr.on('data', (d) => {
      err += d;
    });
    const [code] = (await once(child, 'exit')) as [number | null];
    const own = new Set([dir.join('hooks.mjs'), dir.join('preload.mjs')]);
    const modules = [...new Set(readFileSync(log, 'utf8').split('\n').filter(Boolean))]
      .map((url) => fileURLToPath(url))
      .filter((path) => !own.has(path));
    return { code, out, err, modules };
  } finally {
    dir.cleanup();
  }
}
