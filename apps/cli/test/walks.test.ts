import { readFileSync, writeFileSync } from 'node:fs';
import { haveTools, mustRun, runTool, tempDir } from '@fstool/testkit/node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { built, start } from './spawn-cli.js';

const tmp = tempDir('fstool-walk-');
afterAll(() => tmp.cleanup());

// An ext4 where each level holds two hard links (x and y) to the next directory: 2^DEPTH paths
// over DEPTH + 1 directories. Only debugfs makes directory hard links; e2fsck calls them damage.
const DEPTH = 24;
const img = tmp.join('links.ext4');

beforeAll(() => {
  mustRun('mke2fs', ['-q', '-t', 'ext4', '-N', '128', img, '4M']);
  const cmds: string[] = [];
  for (let i = 0; i <= DEPTH; i++) cmds.push(`mkdir d${i}`);
  cmds.push(`write ${tmp.join('note')} d${DEPTH}/note`);
  for (let i = 0; i < DEPTH; i++) cmds.push(`link d${i + 1} d${i}/x`, `link d${i + 1} d${i}/y`);
  for (let i = 1; i <= DEPTH; i++) cmds.push(`unlink d${i}`);
  writeFileSync(tmp.join('note'), 'deep\n');
  writeFileSync(tmp.join('cmds'), `${cmds.join('\n')}\n`);
  mustRun('debugfs', ['-w', '-f', tmp.join('cmds'), img]);
});

/** Runs the CLI, killing it after `ms` (the old walks ran for hours on this tree). */
async function bounded(ms: number, ...args: string[]) {
  const r = start(args);
  r.child.stdin.end();
  const timer = setTimeout(() => r.child.kill('SIGKILL'), ms);
  const { code, signal } = await r.exited;
  clearTimeout(timer);
  return { code, signal, out: r.out(), err: r.err() };
}

describe.skipIf(!built || !haveTools('mke2fs', 'debugfs', 'e2fsck'))('walks visit each directory once', () => {
  it('ls -R lists each directory once and says which it skipped', async () => {
    const r = await bounded(30_000, 'ls', '-R', img, '/d0');
    expect(r.signal).toBe(null);
    expect(r.code, r.err).toBe(0);
    expect(r.out.match(/^\/d0[^:]*:$/gm)).toHaveLength(DEPTH + 1);
    expect(r.out).toMatch(/^note$/m);
    expect(r.err).toContain('fstool: /d0/y: not listing already-listed directory /d0/x\n');
    expect(r.err.split('\n').filter(Boolean)).toHaveLength(DEPTH);
  });

  it('repack copies each directory once (a warning for the second names); e2fsck is clean', async () => {
    const out = tmp.join('repacked.ext4');
    const r = await bounded(30_000, 'repack', img, out);
    expect(r.signal).toBe(null);
    expect(r.code, r.err).toBe(0);
    expect(r.err).toMatch(/a second name of a directory already copied .*left out \(24 entries, e\.g\. /);
    const fsck = runTool('e2fsck', ['-fn', out]);
    expect(fsck.code, fsck.stdout).toBe(0);
    const deep = `/d0${'/x'.repeat(DEPTH)}/note`;
    expect(mustRun('debugfs', ['-R', `cat ${deep}`, out])).toBe('deep\n');
  });

  it('rm -r plans first: the shared directory is named and nothing is removed', async () => {
    const copy = tmp.join('rm.ext4');
    writeFileSync(copy, readFileSync(img));
    const before = mustRun('debugfs', ['-R', 'ls -l /d0', copy]);
    const r = await bounded(30_000, 'rm', '-r', copy, '/d0');
    expect(r.signal).toBe(null);
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/\/d0\/(x\/)*y: a second name of directory \/d0(\/x)+ .*nothing was removed/);
    expect(mustRun('debugfs', ['-R', 'ls -l /d0', copy])).toBe(before);
    expect(mustRun('debugfs', ['-R', `cat /d0${'/y'.repeat(DEPTH)}/note`, copy])).toBe('deep\n');
  });
});
