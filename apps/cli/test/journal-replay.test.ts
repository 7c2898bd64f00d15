/**
 * After a crash: committed but unreplayed JBD2 transactions (written by debugfs' journal
 * commands) are what `cat` and `repack` read, as e2fsck's replay (and the kernel's) would make
 * it; a transaction revoked later is not replayed; the image is left untouched.
 */
import { createHash } from 'node:crypto';
import { copyFileSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { e2fsckNoise, haveTools, mustRun, runTool, tempDir } from '@fstool/testkit/node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cli } from './run-cli.js';

const tmp = tempDir('fstool-cli-replay-');
afterAll(() => tmp.cleanup());
const sha = (p: string) => createHash('sha256').update(readFileSync(p)).digest('hex');
const debugfsCat = (img: string, path: string) => mustRun('debugfs', ['-R', `cat ${path}`, img]);

describe.skipIf(!haveTools('debugfs', 'e2fsck'))('reads replay a committed journal', () => {
  const src = tmp.join('src');
  beforeAll(() => {
    mkdirSync(src);
    writeFileSync(`${src}/f`, 'OLD data\n');
    writeFileSync(`${src}/g`, 'OLD gggg\n');
    // Whole 1 KiB blocks as the transactions carry them.
    writeFileSync(tmp.join('f.blk'), Buffer.concat([Buffer.from('NEW data\n'), Buffer.alloc(1015)]));
    writeFileSync(tmp.join('g.blk'), Buffer.concat([Buffer.from('NEW gggg\n'), Buffer.alloc(1015)]));
  });

  for (const kind of ['ext3', 'ext4']) {
    it(`${kind}: cat and repack --shrink see the committed blocks, not revoked ones; e2fsck agrees`, async () => {
      const img = tmp.join(`${kind}.img`);
      const built = await cli('ext-build', src, '-o', img, '--kind', kind, '--size', '8MiB', '--block-size', '1024');
      expect(built.code, built.err).toBe(0);
      const block = (p: string) => mustRun('debugfs', ['-R', `bmap ${p} 0`, img]).trim();
      // Three committed transactions: /f's block, /g's block, then a revoke of /g's block.
      const script = ['jo', `jw -b ${block('/f')} ${tmp.join('f.blk')}`, `jw -b ${block('/g')} ${tmp.join('g.blk')}`];
      script.push(`jw -r ${block('/g')}`, 'jc');
      mustRun('debugfs', ['-w', '-f', '-', img], { input: `${script.join('\n')}\n` });
      expect(mustRun('dumpe2fs', ['-h', img])).toMatch(/needs_recovery/);
      const before = sha(img);

      const f = await cli('cat', img, '/f');
      expect(f.bytes.toString()).toBe('NEW data\n');
      expect(f.err).toMatch(/replayed 3 committed transaction\(s\) \(1 blocks\) in memory/);
      expect((await cli('cat', img, '/g')).bytes.toString()).toBe('OLD gggg\n');

      const out = tmp.join(`${kind}-repacked.img`);
      const r = await cli('repack', '--shrink', img, out);
      expect(r.code, r.err).toBe(0);
      expect(r.err).toMatch(/replayed 3 committed transaction/);
      expect(e2fsckNoise(out)).toEqual([]);
      expect(debugfsCat(out, '/f')).toBe('NEW data\n');
      expect(debugfsCat(out, '/g')).toBe('OLD gggg\n');
      expect(sha(img)).toBe(before);

      // e2fsck's replay of the same journal gives the same contents.
      const replayed = tmp.join(`${kind}-e2fsck.img`);
      copyFileSync(img, replayed);
      expect(runTool('e2fsck', ['-fy', replayed]).code).toBeLessThanOrEqual(1);
      expect(debugfsCat(replayed, '/f')).toBe('NEW data\n');
      expect(debugfsCat(replayed, '/g')).toBe('OLD gggg\n');
    });
  }
});
