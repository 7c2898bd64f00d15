import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { findTool, inCI } from './tools.js';

/**
 * Mounts an ext image read-only through a loop device, runs `fn` with the mount point, unmounts.
 * Resolves to undefined when mounting is not permitted here (tests then skip); under CI=true a
 * refused mount throws.
 */
export async function withLoopMount<T>(
  image: string,
  fn: (mountPoint: string) => Promise<T> | T,
  opts: { offset?: number; sizelimit?: number; type?: string } = {},
): Promise<T | undefined> {
  const mount = findTool('mount');
  const umount = findTool('umount');
  if (!mount || !umount) return undefined;
  const dir = mkdtempSync(join(tmpdir(), 'fstool-mnt-'));
  const options = ['loop', 'ro'];
  if (opts.offset) options.push(`offset=${opts.offset}`);
  if (opts.sizelimit) options.push(`sizelimit=${opts.sizelimit}`);
  const args = ['-o', options.join(','), ...(opts.type ? ['-t', opts.type] : []), image, dir];
  const r = spawnSync(mount, args, { encoding: 'utf8' });
  if (r.status !== 0) {
    rmdirSync(dir);
    const why = `mount ${args.join(' ')} failed: ${r.stderr.trim()}`;
    if (inCI) throw new Error(why);
    return undefined;
  }
  try {
    return await fn(dir);
  } finally {
    spawnSync(umount, [dir]);
    rmdirSync(dir);
  }
}
