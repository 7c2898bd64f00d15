import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';

/** Under CI a missing tool or a refused mount is a failure, never a skip. */
export const inCI = process.env.CI === 'true';

const SEARCH = [...(process.env.PATH ?? '').split(':'), '/usr/sbin', '/sbin', '/usr/bin', '/bin'];

/**
 * Absolute path of an external tool, or undefined when it is missing (tests then skip).
 * Under CI=true a missing tool throws, so a green CI run always means the real checks ran.
 */
export function findTool(name: string): string | undefined {
  for (const dir of SEARCH) {
    const p = join(dir, name);
    if (dir && existsSync(p)) return p;
  }
  if (inCI) throw new Error(`required tool ${name} is not installed (CI=true: tests may not skip)`);
  return undefined;
}

/** True when every tool is present; use with `describe.skipIf(!haveTools(...))`. */
export function haveTools(...names: string[]): boolean {
  return names.every((n) => findTool(n) !== undefined);
}

export interface RunResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs a tool synchronously and returns its exit code and output (never throws on non-zero exit). */
export function runTool(
  name: string,
  args: string[],
  opts: { input?: string | Uint8Array; cwd?: string; env?: NodeJS.ProcessEnv } = {},
): RunResult {
  const path = findTool(name);
  if (!path) throw new Error(`${name} is not installed`);
  const r = spawnSync(path, args, {
    input: opts.input,
    cwd: opts.cwd,
    env: opts.env ?? process.env,
    encoding: 'utf8',
    maxBuffer: 256 * 1024 * 1024,
  });
  if (r.error) throw r.error;
  return { code: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
}

/** Like runTool, but throws with the tool's output when it exits non-zero. */
export function mustRun(name: string, args: string[], opts: Parameters<typeof runTool>[2] = {}): string {
  const r = runTool(name, args, opts);
  if (r.code !== 0) {
    throw new Error(`${name} ${args.join(' ')} exited ${r.code}\n${r.stdout}\n${r.stderr}`);
  }
  return r.stdout;
}
