/** Shared helpers of the writer tests: in-memory trees, building to a temp file, tool checks. */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { FileDevice } from '@fstool/blockdev/node';
import { type BuildReport, bytesSource, type Entry, type SourceTree } from '@fstool/fs';
import { runTool } from '@fstool/testkit/node';
import { extDriver } from '../src/driver.js';
import type { ExtOptions } from '../src/plan/options.js';

export const UUID = '01234567-89ab-cdef-0123-456789abcdef';
export const SEED = 'fedcba98-7654-3210-fedc-ba9876543210';
const enc = new TextEncoder();

export function file(path: string, text: string, extra: Partial<Entry> = {}): Entry {
  const data = enc.encode(text);
  return {
    path,
    kind: 'file',
    mode: 0o644,
    uid: 0,
    gid: 0,
    mtime: 1_600_000_000,
    size: data.length,
    open: () => bytesSource(data),
    ...extra,
  };
}

export function dir(path: string, extra: Partial<Entry> = {}): Entry {
  return { path, kind: 'dir', mode: 0o755, uid: 0, gid: 0, mtime: 1_600_000_000, size: 0, ...extra };
}

/** Builds `tree` into a new sparse file of `size` bytes. */
export async function buildImage(
  path: string,
  tree: SourceTree,
  type: string,
  opts: ExtOptions,
  size: number,
  onWarning?: (m: string) => void,
): Promise<BuildReport> {
  const dev = await FileDevice.create(path, { size, overwrite: true });
  try {
    return await extDriver.build(
      dev,
      tree,
      { uuid: UUID, hashSeed: SEED, zeroed: true, ...opts },
      { type, ...(onWarning ? { onWarning } : {}) },
    );
  } finally {
    await dev.close();
  }
}

/** e2fsck -fn; returns its output when it finds anything. */
export function fsck(path: string): { code: number; out: string } {
  const r = runTool('e2fsck', ['-fn', path]);
  return { code: r.code, out: r.stdout + r.stderr };
}

export function sha256(path: string): string {
  return createHash('sha256').update(readFileSync(path)).digest('hex');
}
