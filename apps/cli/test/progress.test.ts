import { mkdirSync, writeFileSync } from 'node:fs';
import { haveTools, tempDir } from '@fstool/testkit/node';
import { afterAll, describe, expect, it } from 'vitest';
import { progressLine } from '../src/progress.js';
import { cli } from './run-cli.js';
import { terminal } from './tty.js';

const { bin, built, start, waitFor } = terminal();
const tmp = tempDir('fstool-progress-');
afterAll(() => tmp.cleanup());

describe('progress that means something', () => {
  it('byte phases: human units, rate and time left; item phases: counts', () => {
    expect(progressLine({ phase: 'data', done: 50 * 2 ** 20, total: 100 * 2 ** 20 }, 10)).toBe(
      '50.0 MiB/100.0 MiB | 5.0 MiB/s | ETA 0:10',
    );
    expect(progressLine({ phase: 'metadata', done: 3, total: 16 }, 10)).toBe('3/16');
  });

  const src = tmp.join('src');
  mkdirSync(src);
  // One big file: the bar has to move inside it, not once per file.
  writeFileSync(`${src}/big`, new Uint8Array(10 * 2 ** 20).fill(1));
  writeFileSync(tmp.join('extra'), new Uint8Array(2 * 2 ** 20).fill(2));

  it.skipIf(!built || !haveTools('tmux'))(
    'on a terminal: ext-build, convert, add and extract draw byte bars; -q and pipes draw none',
    async () => {
      const ext = tmp.join('a.ext4');
      const cmds = [
        `node ${bin} ext-build ${src} -o ${ext} --size 16MiB`,
        `node ${bin} convert ${ext} ${tmp.join('a.qcow2')}`,
        `node ${bin} add ${ext} ${tmp.join('extra')} /`,
        `node ${bin} extract ${ext} ${tmp.join('out')}`,
        `echo "[quiet]"`,
        `node ${bin} -q ext-build ${src} -o ${tmp.join('q.ext4')} --size 16MiB`,
        `node ${bin} ext-build ${src} -o ${tmp.join('p.ext4')} --size 16MiB | cat`,
      ];
      start('bars', cmds.join(' && '));
      const text = await waitFor('bars', /\[exit \d+\]/);
      expect(text).toMatch(/\[exit 0\]/);
      const [loud, quiet] = text.split('[quiet]') as [string, string];
      expect(loud).toMatch(/^data \[.*\] 100% \| 10\.0 MiB\/10\.0 MiB/m);
      expect(loud).toMatch(/^convert \[.*\] 100% \| 16\.0 MiB\/16\.0 MiB/m);
      expect(loud).toMatch(/^add \[.*\] 100% \| 2\.0 MiB\/2\.0 MiB/m);
      expect(loud).toMatch(/^data \[.*\] 100% \| 12\.0 MiB\/12\.0 MiB/m);
      expect(loud).toMatch(/MiB\/s \| ETA \d+:\d\d/);
      // -q: no bar, no summary; stdout piped: the summary but no bar.
      expect(quiet).not.toMatch(/\] \d+%/);
      expect(quiet.match(/^wrote /gm)?.length).toBe(1);
    },
  );

  it('in-process (no terminal): no bar on stderr', async () => {
    const r = await cli('ext-build', src, '-o', tmp.join('c.ext4'), '--size', '64MiB');
    expect(r.code, r.err).toBe(0);
    expect(r.err).not.toMatch(/%/);
  });
});
