import { type ChildProcessWithoutNullStreams, spawn } from 'node:child_process';
import { once } from 'node:events';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { inCI } from '@fstool/testkit/node';

// The real command as a separate process (locks, signals, pipes need one). Needs the built CLI
// (the root test task builds it first).
export const bin = join(import.meta.dirname, '../bin.js');
export const built = existsSync(join(import.meta.dirname, '../dist/main.js'));
if (!built && inCI) throw new Error('apps/cli/dist is missing: CI must build before testing (pnpm verify does)');

export interface Running {
  child: ChildProcessWithoutNullStreams;
  out: () => string;
  err: () => string;
  /** Resolves with the exit code (null when killed) and signal. */
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** Polls until stdout matches `re`. */
  waitOut(re: RegExp): Promise<void>;
}

/** Starts `node bin.js ARGS…` with piped stdio. */
export function start(args: string[], opts: { cwd?: string } = {}): Running {
  const child = spawn(process.execPath, [bin, ...args], { stdio: 'pipe', ...opts });
  let out = '';
  let err = '';
  child.stdout.on('data', (d) => {
    out += d;
  });
  child.stderr.on('data', (d) => {
    err += d;
  });
  const exited = once(child, 'exit').then(([code, signal]) => ({
    code: code as number | null,
    signal: signal as NodeJS.Signals | null,
  }));
  return {
    child,
    out: () => out,
    err: () => err,
    exited,
    async waitOut(re) {
      for (let i = 0; i < 600 && !re.test(out); i++) await sleep(50);
      if (!re.test(out)) throw new Error(`${re} never appeared on stdout: ${out}\nstderr: ${err}`);
    },
  };
}

/** Runs `node bin.js ARGS…` to the end. */
export async function fstool(...args: string[]): Promise<{ code: number | null; out: string; err: string }> {
  const r = start(args);
  r.child.stdin.end();
  const { code } = await r.exited;
  return { code, out: r.out(), err: r.err() };
}

/** A `fstool shell IMG` that holds IMG open (and locked) until `end()`: stdin stays open. */
export async function holdOpen(ref: string, ...flags: string[]): Promise<{ end: () => Promise<number | null> }> {
  const r = start(['shell', ref, ...flags]);
  r.child.stdin.write('pwd\n');
  await r.waitOut(/^\/$/m);
  return {
    async end() {
      r.child.stdin.end();
      return (await r.exited).code;
    },
  };
}
