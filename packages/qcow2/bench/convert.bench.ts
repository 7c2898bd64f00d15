/**
 * fstool's convert against `qemu-img convert` on the same data, in alternating rounds:
 * a 20 GiB image holding 256 MiB of data in 64 scattered runs (qcow2 -> raw, raw -> qcow2),
 * 256 MiB of mixed data compressed (raw -> qcow2 --compress), and an empty 1 TiB image
 * (qcow2 -> raw, raw -> qcow2). Three fstool timings per case, each a ratio to qemu-img (timed
 * as a process) in the same round:
 * - in-call: the time inside convertFile (a child process, bench/convert-child.mjs, from dist/);
 * - node process: that child's wall time, adding Node's start-up and module loading;
 * - fstool CLI: `fstool convert` as a user runs it (apps/cli/bin.js; adds the CLI, locks and the
 *   atomic rename).
 * Targets (issue 18): in-call <= 1.5x for the 20 GiB and compressed cases, <= 2x for 1 TiB.
 * Needs `pnpm build`.
 */
import { spawnSync } from 'node:child_process';
import { closeSync, openSync, rmSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { findTool, tempDir } from '@fstool/testkit/node';
import { bench, describe } from 'vitest';

const ROUNDS = Number(process.env.FSTOOL_BENCH_ROUNDS ?? 5);
const here = fileURLToPath(new URL('.', import.meta.url));
const cli = join(here, '../../../apps/cli/bin.js');
const MiB = 2 ** 20;
const GiB = 2 ** 30;

/** Deterministic bytes: xorshift noise, with every other MiB text-like (compressible). */
function fill(buf: Uint8Array, seed: number): void {
  let x = seed | 1;
  for (let i = 0; i < buf.length; i += 4) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    const text = ((i / MiB) | 0) % 2 === 0;
    const v = text ? 0x61 + ((x >>> 0) % 26) * (i % 64 < 8 ? 1 : 0) : x >>> 0;
    buf[i] = v & 0xff;
    buf[i + 1] = text ? 0x20 : (v >>> 8) & 0xff;
    buf[i + 2] = text ? 0x65 : (v >>> 16) & 0xff;
    buf[i + 3] = text ? 0x0a : (v >>> 24) & 0xff;
  }
}

function timedSeconds(cmd: string, args: string[]): { wall: number; out: string } {
  const t0 = performance.now();
  const r = spawnSync(cmd, args, { encoding: 'utf8' });
  const wall = (performance.now() - t0) / 1000;
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} failed:\n${r.stderr}`);
  return { wall, out: r.stdout };
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] as number;

const ok = findTool('qemu-img') && findTool('qemu-io');
let ran = false;
describe.skipIf(!ok)('convert: fstool vs qemu-img', () => {
  bench(
    `alternating rounds (${ROUNDS} per case)`,
    () => {
      if (ran) return;
      ran = true;
      const qemu = findTool('qemu-img') as string;
      const tmp = tempDir('fstool-convert-bench-');
      try {
        // 20 GiB raw with 64 runs of 4 MiB, and the same as qcow2 (made by qemu-img).
        const sparse = tmp.join('sparse.raw');
        const fd = openSync(sparse, 'w');
        const buf = new Uint8Array(4 * MiB);
        for (let i = 0; i < 64; i++) {
          fill(buf, i + 1);
          writeSync(fd, buf, 0, buf.length, Math.floor((i * 20 * GiB) / 64));
        }
        closeSync(fd);
        spawnSync('truncate', ['-s', '20G', sparse]);
        const sparseQ = tmp.join('sparse.qcow2');
        timedSeconds(qemu, ['convert', '-O', 'qcow2', sparse, sparseQ]);
        const mixed = tmp.join('mixed.raw');
        const fm = openSync(mixed, 'w');
        for (let i = 0; i < 64; i++) {
          fill(buf, 1000 + i);
          writeSync(fm, buf);
        }
        closeSync(fm);
        const emptyQ = tmp.join('empty.qcow2');
        const emptyR = tmp.join('empty.raw');
        timedSeconds(qemu, ['create', '-f', 'qcow2', emptyQ, '1T']);
        timedSeconds(qemu, ['create', '-f', 'raw', emptyR, '1T']);
        spawnSync('sync');

        const out = (ext: string) => tmp.join(`out.${ext}`);
        const cases = [
          { name: '20 GiB (256 MiB data) qcow2->raw', input: sparseQ, ext: 'raw', compress: false, target: 1.5 },
          { name: '20 GiB (256 MiB data) raw->qcow2', input: sparse, ext: 'qcow2', compress: false, target: 1.5 },
          { name: '256 MiB raw->qcow2 --compress', input: mixed, ext: 'qcow2', compress: true, target: 1.5 },
          { name: '1 TiB empty qcow2->raw', input: emptyQ, ext: 'raw', compress: false, target: 2 },
          { name: '1 TiB empty raw->qcow2', input: emptyR, ext: 'qcow2', compress: false, target: 2 },
        ];
        const rows: string[] = [];
        const ratio = (xs: number[], q: number) => `${median(xs).toFixed(3)} s ${(median(xs) / q).toFixed(2)}x`;
        for (const c of cases) {
          const call: number[] = [];
          const proc: number[] = [];
          const whole: number[] = [];
          const ref: number[] = [];
          const runs = [
            () => {
              const ours = timedSeconds(process.execPath, [
                join(here, 'convert-child.mjs'),
                c.input,
                out(c.ext),
                c.compress ? '1' : '0',
              ]);
              call.push(Number(ours.out.trim()));
              proc.push(ours.wall);
            },
            () => {
              const flags = ['-q', ...(c.compress ? ['--compress'] : [])];
              whole.push(timedSeconds(process.execPath, [cli, 'convert', ...flags, c.input, out(c.ext)]).wall);
            },
            () => {
              const args = ['convert', '-O', c.ext, ...(c.compress ? ['-c'] : []), c.input, out(c.ext)];
              ref.push(timedSeconds(qemu, args).wall);
            },
          ];
          for (let round = 0; round < ROUNDS; round++) {
            // Each round starts with a different tool, so none always pays for a cold page cache.
            for (let k = 0; k < runs.length; k++) {
              rmSync(out(c.ext), { force: true });
              // No run pays for writing back the one before: each starts with nothing dirty.
              spawnSync('sync');
              (runs[(round + k) % runs.length] as () => void)();
              // The figures only count for a right answer: every output reads as the input.
              if (round === 0) timedSeconds(qemu, ['compare', c.input, out(c.ext)]);
            }
          }
          const q = median(ref);
          const met = median(call) / q <= c.target ? 'met' : 'MISSED';
          rows.push(
            `${c.name.padEnd(34)} qemu-img ${q.toFixed(3)} s | in-call ${ratio(call, q)} (target ${c.target}x: ${met}) ` +
              `| node process ${ratio(proc, q)} | fstool CLI ${ratio(whole, q)}`,
          );
        }
        console.log(`\n${rows.join('\n')}\n`);
      } finally {
        tmp.cleanup();
      }
    },
    { iterations: 1, time: 0, warmupIterations: 0 },
  );
});
