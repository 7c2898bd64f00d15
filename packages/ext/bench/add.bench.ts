/**
 * Adding a tree into an existing ext4 image (fstool's editor, as `fstool add` drives it, from
 * dist/ in bench/add-child.mjs) against building the same tree from scratch (bench/build-child.mjs)
 * and against `debugfs -w` doing the same mkdir/write commands; then adding many empty
 * subdirectories of one directory (entries per second). Alternating rounds, each run a separate
 * process timed by /usr/bin/time; prints medians and ratios. Needs `pnpm build`.
 * FSTOOL_BENCH_SUBDIRS sets the subdirectory count (default 20,000; the case is 65,000).
 */
import { spawnSync } from 'node:child_process';
import { closeSync, mkdirSync, openSync, rmSync, writeFileSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { findTool, tempDir } from '@fstool/testkit/node';
import { bench, describe } from 'vitest';

const ROUNDS = Number(process.env.FSTOOL_BENCH_ROUNDS ?? 3);
const SUBDIRS = Number(process.env.FSTOOL_BENCH_SUBDIRS ?? 20_000);
const here = fileURLToPath(new URL('.', import.meta.url));
const MiB = 2 ** 20;

/** 60 directories of 100 files of 0..3000 bytes (6,060 entries), and the debugfs commands that make it. */
function tree(root: string): string[] {
  const cmds = ['mkdir /t'];
  const buf = new Uint8Array(3000);
  for (let d = 0; d < 60; d++) {
    mkdirSync(join(root, `d${d}`), { recursive: true });
    cmds.push(`mkdir /t/d${d}`);
    for (let f = 0; f < 100; f++) {
      const n = d * 100 + f;
      for (let i = 0; i < buf.length; i++) buf[i] = (n * 31 + i * 7) & 0xff;
      const path = join(root, `d${d}`, `f${f}`);
      const fd = openSync(path, 'w');
      writeSync(fd, buf, 0, (n * 7919) % 3000);
      closeSync(fd);
      cmds.push(`write ${path} /t/d${d}/f${f}`);
    }
  }
  return cmds;
}

function timed(cmd: string, args: string[]): number {
  const r = spawnSync('/usr/bin/time', ['-f', '%e', cmd, ...args], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} failed:\n${r.stderr}`);
  return Number(r.stderr.trim().split('\n').pop());
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] as number;

const ok = findTool('mke2fs') && findTool('debugfs') && findTool('time');
let ran = false;
describe.skipIf(!ok)('ext4 add: into an image vs building vs debugfs -w', () => {
  bench(
    `alternating rounds (${ROUNDS} per tool)`,
    () => {
      if (ran) return;
      ran = true;
      const mke2fs = findTool('mke2fs') as string;
      const tmp = tempDir('fstool-add-bench-');
      try {
        const src = tmp.join('tree');
        const cmds = tree(src);
        writeFileSync(tmp.join('cmds'), `${cmds.join('\n')}\n`);
        const subs = tmp.join('subs');
        for (let i = 0; i < SUBDIRS; i++)
          mkdirSync(join(subs, `dir${String(i).padStart(5, '0')}`), { recursive: true });
        spawnSync('sync');
        const img = tmp.join('out.img');
        const size = 256 * MiB;
        const fresh = (inodes = 0) =>
          spawnSync(mke2fs, [
            '-q',
            '-F',
            '-t',
            'ext4',
            ...(inodes ? ['-N', String(inodes)] : []),
            img,
            `${size / MiB}M`,
          ]);
        const tools: Record<string, () => number> = {
          'fstool add': () => {
            fresh();
            return timed(process.execPath, [join(here, 'add-child.mjs'), img, src, '/t']);
          },
          'fstool build': () => timed(process.execPath, [join(here, 'build-child.mjs'), src, img, String(size)]),
          'debugfs -w': () => {
            fresh();
            return timed(findTool('debugfs') as string, ['-w', '-f', tmp.join('cmds'), img]);
          },
        };
        const samples: Record<string, number[]> = {};
        for (let round = 0; round < ROUNDS; round++) {
          for (const [name, run] of Object.entries(tools)) {
            rmSync(img, { force: true });
            const list = samples[name] ?? [];
            list.push(run());
            samples[name] = list;
          }
        }
        const add = median(samples['fstool add'] as number[]);
        const rows = Object.entries(samples).map(
          ([name, s]) =>
            `6,061 entries  ${name.padEnd(13)} median ${median(s).toFixed(2).padStart(6)} s  add is ${(add / median(s)).toFixed(2)}x this`,
        );
        const subTimes: number[] = [];
        for (let round = 0; round < ROUNDS; round++) {
          rmSync(img, { force: true });
          fresh(SUBDIRS + 1000);
          subTimes.push(timed(process.execPath, [join(here, 'add-child.mjs'), img, subs, '/s']));
        }
        const t = median(subTimes);
        rows.push(
          `${SUBDIRS} subdirectories of one directory: median ${t.toFixed(2)} s, ${(SUBDIRS / t).toFixed(0)} entries/s`,
        );
        console.log(`\n${rows.join('\n')}\n`);
      } finally {
        tmp.cleanup();
      }
    },
    { iterations: 1, warmupIterations: 0, time: 0, warmupTime: 0 },
  );
});
