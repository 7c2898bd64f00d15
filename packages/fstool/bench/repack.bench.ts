/**
 * `fstool repack` (the CLI from dist/, one process) against what it replaces: mount the image
 * read-only, `cp -a` its tree out, `mke2fs -t ext4 -d` a new image (timed together), on an ext4
 * image of 60 directories x 100 small files. Alternating rounds; prints medians and the ratio.
 * Needs `pnpm build`, root and loop mounts.
 */
import { spawnSync } from 'node:child_process';
import { closeSync, mkdirSync, openSync, rmSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { findTool, tempDir } from '@fstool/testkit/node';
import { bench, describe } from 'vitest';

const ROUNDS = Number(process.env.FSTOOL_BENCH_ROUNDS ?? 3);
const cli = fileURLToPath(new URL('../../../apps/cli/bin.js', import.meta.url));

function run(cmd: string, args: string[]): void {
  const r = spawnSync(cmd, args, { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} failed:\n${r.stderr}`);
}

function seconds(fn: () => void): number {
  const t0 = performance.now();
  fn();
  return (performance.now() - t0) / 1000;
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] as number;

const ok = findTool('mke2fs') && process.getuid?.() === 0;
let ran = false;
describe.skipIf(!ok)('repack vs mount + cp -a + mke2fs -d', () => {
  bench(
    `alternating rounds (${ROUNDS} each)`,
    () => {
      if (ran) return;
      ran = true;
      const mke2fs = findTool('mke2fs') as string;
      const tmp = tempDir('fstool-repack-bench-');
      const mnt = tmp.join('mnt');
      try {
        const tree = tmp.join('tree');
        const buf = new Uint8Array(3000);
        for (let d = 0; d < 60; d++) {
          mkdirSync(join(tree, `d${d}`), { recursive: true });
          for (let f = 0; f < 100; f++) {
            const n = d * 100 + f;
            for (let i = 0; i < buf.length; i++) buf[i] = (n * 31 + i * 7) & 0xff;
            const fd = openSync(join(tree, `d${d}`, `f${f}`), 'w');
            writeSync(fd, buf, 0, (n * 7919) % 3000);
            closeSync(fd);
          }
        }
        const src = tmp.join('src.img');
        run(mke2fs, ['-q', '-F', '-t', 'ext4', '-d', tree, src, '256M']);
        mkdirSync(mnt);
        spawnSync('sync');
        const out = tmp.join('out.img');
        const ours: number[] = [];
        const theirs: number[] = [];
        for (let round = 0; round < ROUNDS; round++) {
          rmSync(out, { force: true });
          ours.push(seconds(() => run(process.execPath, [cli, 'repack', src, out])));
          rmSync(out, { force: true });
          const copy = tmp.join('copy');
          theirs.push(
            seconds(() => {
              run('mount', ['-o', 'loop,ro', src, mnt]);
              try {
                run('cp', ['-a', `${mnt}/.`, copy]);
              } finally {
                run('umount', [mnt]);
              }
              run(mke2fs, ['-q', '-F', '-t', 'ext4', '-d', copy, out, '256M']);
            }),
          );
          rmSync(copy, { recursive: true, force: true });
        }
        const f = median(ours);
        const m = median(theirs);
        console.log(
          `\n6,061 entries: fstool repack ${f.toFixed(2)} s, mount + cp -a + mke2fs -d ${m.toFixed(2)} s: ${(f / m).toFixed(2)}x\n`,
        );
      } finally {
        spawnSync('umount', [mnt]);
        tmp.cleanup();
      }
    },
    { iterations: 1, warmupIterations: 0, time: 0, warmupTime: 0 },
  );
});
