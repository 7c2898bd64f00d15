/**
 * fstool's ext4 writer against `mke2fs -t ext4 -d` and `genext2fs` on two generated trees:
 * 20,000 small files in nested directories, and four 128 MiB random files plus a 1 GiB sparse
 * file. Runs alternate between the tools; each run is a separate process (fstool's driver runs
 * from dist/ in bench/build-child.mjs) measured by /usr/bin/time for wall time and peak RSS.
 * Prints the medians and the ratios to mke2fs. Needs `pnpm build` (it runs `tsc -b` for this package).
 */
import { spawnSync } from 'node:child_process';
import { closeSync, mkdirSync, openSync, rmSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { findTool, tempDir } from '@fstool/testkit/node';
import { bench, describe } from 'vitest';

const ROUNDS = Number(process.env.FSTOOL_BENCH_ROUNDS ?? 5);
const here = fileURLToPath(new URL('.', import.meta.url));
const MiB = 2 ** 20;

/** Deterministic pseudo-random bytes (xorshift), so every run builds the same trees. */
function fill(buf: Uint8Array, seed: number): void {
  let x = seed | 1;
  const words = new Uint32Array(buf.buffer, buf.byteOffset, buf.length >> 2);
  for (let i = 0; i < words.length; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    words[i] = x >>> 0;
  }
}

function smallTree(root: string): void {
  const buf = new Uint8Array(16384);
  let n = 0;
  for (let a = 0; a < 20; a++) {
    for (let b = 0; b < 10; b++) {
      const d = join(root, `d${a}`, `e${b}`);
      mkdirSync(d, { recursive: true });
      for (let c = 0; c < 100; c++, n++) {
        fill(buf, n + 1);
        const fd = openSync(join(d, `f${c}.txt`), 'w');
        writeSync(fd, buf, 0, (n * 7919) % 16384);
        closeSync(fd);
      }
    }
  }
}

function bigTree(root: string): void {
  mkdirSync(root, { recursive: true });
  const buf = new Uint8Array(8 * MiB);
  for (let i = 0; i < 4; i++) {
    const fd = openSync(join(root, `random${i}.bin`), 'w');
    for (let off = 0; off < 128 * MiB; off += buf.length) {
      fill(buf, i * 1000 + off / buf.length + 1);
      writeSync(fd, buf);
    }
    closeSync(fd);
  }
  const fd = openSync(join(root, 'sparse.bin'), 'w');
  for (const off of [0, 512 * MiB, 1024 * MiB - 4096]) writeSync(fd, buf, 0, 4096, off);
  closeSync(fd);
}

interface Sample {
  wall: number;
  rssKiB: number;
}

function timed(cmd: string, args: string[]): Sample {
  const r = spawnSync('/usr/bin/time', ['-f', '%e %M', cmd, ...args], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} failed:\n${r.stderr}`);
  const m = /([\d.]+) (\d+)\s*$/.exec(r.stderr.trim());
  if (!m) throw new Error(`no timing in: ${r.stderr}`);
  return { wall: Number(m[1]), rssKiB: Number(m[2]) };
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] as number;

const ok = findTool('mke2fs') && findTool('genext2fs') && findTool('time');
/** tinybench may call the function more than once; the comparison runs once. */
let ran = false;
describe.skipIf(!ok)('ext4 build: fstool vs mke2fs -d vs genext2fs', () => {
  bench(
    `alternating rounds (${ROUNDS} per tool and tree)`,
    () => {
      if (ran) return;
      ran = true;
      const built = spawnSync(join(here, '../../../node_modules/.bin/tsc'), ['-b', join(here, '..')], {
        encoding: 'utf8',
      });
      if (built.status !== 0) throw new Error(`tsc -b failed:\n${built.stdout}${built.stderr}`);
      const tmp = tempDir('fstool-ext-bench-');
      try {
        const trees = [
          { name: '20,000 small files', dir: tmp.join('small'), size: 512 * MiB, make: smallTree },
          { name: '4x128 MiB + 1 GiB sparse', dir: tmp.join('big'), size: 2048 * MiB, make: bigTree },
        ];
        const rows: string[] = [];
        for (const t of trees) {
          t.make(t.dir);
          // Flush the new tree first: its writeback would otherwise land on whichever tool runs next.
          spawnSync('sync');
          const img = tmp.join('out.img');
          const tools: Record<string, () => Sample> = {
            fstool: () => timed(process.execPath, [join(here, 'build-child.mjs'), t.dir, img, String(t.size)]),
            'mke2fs -d': () =>
              timed(findTool('mke2fs') as string, ['-q', '-F', '-t', 'ext4', '-d', t.dir, img, `${t.size / MiB}M`]),
            genext2fs: () =>
              timed(findTool('genext2fs') as string, [
                '-z',
                '-B',
                '4096',
                '-b',
                String(t.size / 4096),
                '-d',
                t.dir,
                img,
              ]),
          };
          const samples: Record<string, Sample[]> = {};
          for (let round = 0; round < ROUNDS; round++) {
            for (const [name, run] of Object.entries(tools)) {
              rmSync(img, { force: true });
              const list = samples[name] ?? [];
              list.push(run());
              samples[name] = list;
            }
          }
          rmSync(img, { force: true });
          const base = median((samples['mke2fs -d'] as Sample[]).map((s) => s.wall));
          for (const [name, s] of Object.entries(samples)) {
            const wall = median(s.map((x) => x.wall));
            const rss = Math.max(...s.map((x) => x.rssKiB)) / 1024;
            rows.push(
              `${t.name.padEnd(26)} ${name.padEnd(10)} median ${wall.toFixed(2).padStart(6)} s  ${(wall / base).toFixed(2)}x mke2fs  peak RSS ${rss.toFixed(0).padStart(4)} MB`,
            );
          }
          rmSync(t.dir, { recursive: true, force: true });
        }
        console.log(`\n${rows.join('\n')}\n`);
      } finally {
        tmp.cleanup();
      }
    },
    { iterations: 1, warmupIterations: 0, time: 0, warmupTime: 0 },
  );
});
