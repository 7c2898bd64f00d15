/**
 * The page against the CLI on the same machine: the 20,000-file tree into ext4 (the page builds
 * it from Files made in memory, in its worker, into OPFS; the CLI from the same tree on disk),
 * and opening a 4 GiB qcow2 disk (GPT + ext4; the page's open versus `fstool info`). The CLI runs
 * as a process from dist/ (`pnpm bench` builds first). Prints the medians.
 */
import { spawnSync } from 'node:child_process';
import { closeSync, mkdirSync, openSync, writeFileSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { mustRun, tempDir } from '@fstool/testkit/node';
import { bench, describe } from 'vitest';
import { buildSite, haveChromium, launch, serve } from '../test/harness.js';

const ROUNDS = Number(process.env.FSTOOL_BENCH_ROUNDS ?? 3);
const cliBin = fileURLToPath(new URL('../../cli/bin.js', import.meta.url));
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] as number;
const SPEC = '[filesystem]\ntype = "ext4"\nsource = "tree"\nsize = "auto"\nmtime = "2024-01-01T00:00:00Z"\n';

/** File sizes and contents of the tree, the same on disk and in the page: 200 dirs of 100 files. */
const shape = (n: number) => ({
  dir: `d${Math.floor(n / 1000)}/e${Math.floor(n / 100) % 10}`,
  size: (n * 7919) % 16384,
});

function cliSeconds(args: string[]): number {
  const t = performance.now();
  const r = spawnSync(process.execPath, [cliBin, ...args], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`fstool ${args.join(' ')} failed:\n${r.stderr}`);
  return (performance.now() - t) / 1000;
}

let ran = false;
describe.skipIf(!haveChromium())('the page vs the CLI', () => {
  bench(
    `20,000 files → ext4 and opening a 4 GiB qcow2 (${ROUNDS} rounds)`,
    async () => {
      if (ran) return;
      ran = true;
      const tmp = tempDir('fstool-web-bench-');
      const site = await (async () => {
        await buildSite(tmp.join('site'));
        return serve(tmp.join('site'));
      })();
      const context = await launch(tmp.join('profile'));
      try {
        // The tree on disk for the CLI.
        const buf = new Uint8Array(16384).map((_, i) => (i * 31) & 0xff);
        for (let n = 0; n < 20_000; n++) {
          const { dir, size } = shape(n);
          mkdirSync(join(tmp.path, 'tree', dir), { recursive: true });
          const fd = openSync(join(tmp.path, 'tree', dir, `f${n % 100}.txt`), 'w');
          writeSync(fd, buf, 0, size);
          closeSync(fd);
        }
        writeFileSync(tmp.join('spec.toml'), SPEC);

        // A 4 GiB GPT disk with an ext4 partition, as qcow2 (mostly unallocated).
        const raw = tmp.join('disk.raw');
        mustRun('truncate', ['-s', '4G', raw]);
        mustRun('sgdisk', ['-n', '1:2048:0', '-t', '1:8300', raw]);
        const part = JSON.parse(mustRun('sfdisk', ['--json', raw])).partitiontable.partitions[0];
        mustRun('mke2fs', [
          '-q',
          '-F',
          '-t',
          'ext4',
          '-E',
          `offset=${part.start * 512}`,
          raw,
          `${Math.floor((part.size * 512) / 4096) * 4}k`,
        ]);
        const q = tmp.join('disk.qcow2');
        mustRun('qemu-img', ['convert', '-O', 'qcow2', raw, q]);

        const page = await context.newPage();
        await page.goto(`${site.origin}/`);
        await page.evaluate(
          ({ spec, count }) => {
            const files: Array<{ path: string; file: File }> = [];
            const buf = new Uint8Array(16384).map((_, i) => (i * 31) & 0xff);
            for (let n = 0; n < count; n++) {
              const dir = `d${Math.floor(n / 1000)}/e${Math.floor(n / 100) % 10}`;
              const size = (n * 7919) % 16384;
              files.push({
                path: `tree/${dir}/f${n % 100}.txt`,
                file: new File([buf.subarray(0, size)], `f${n % 100}.txt`),
              });
            }
            Object.assign(window, { __tree: { spec, files, dirs: [], format: 'raw' } });
          },
          { spec: SPEC, count: 20_000 },
        );
        await page.click('#tab-open');
        await page.setInputFiles('#image', q);
        await page.waitForSelector('#volumes button');
        type Hook = { fstool: { call(op: string, args: unknown): Promise<unknown> }; __tree: unknown };
        const inPage = (what: 'build' | 'open') =>
          page.evaluate(async (op) => {
            const w = window as unknown as Hook;
            const t = performance.now();
            const image = (document.getElementById('image') as HTMLInputElement).files?.[0];
            await w.fstool.call(op, op === 'build' ? w.__tree : { file: image });
            return (performance.now() - t) / 1000;
          }, what);

        const samples: Record<string, number[]> = {};
        const add = (name: string, s: number) => {
          samples[name] = [...(samples[name] ?? []), s];
        };
        for (let round = 0; round < ROUNDS; round++) {
          add('20,000 files → ext4   page (memory → OPFS)', await inPage('build'));
          add(
            '20,000 files → ext4   CLI (disk → disk)',
            cliSeconds(['build', tmp.join('spec.toml'), '-o', tmp.join('out.ext4')]),
          );
          add('open 4 GiB qcow2      page (open + describe)', await inPage('open'));
          add('open 4 GiB qcow2      CLI (fstool info)', cliSeconds(['info', q]));
        }
        const rows = Object.entries(samples).map(([name, s]) => `${name.padEnd(44)} median ${median(s).toFixed(2)} s`);
        console.log(`\n${rows.join('\n')}\n`);
      } finally {
        await context.close();
        await site.close();
        tmp.cleanup();
      }
    },
    { iterations: 1, warmupIterations: 0, time: 0, warmupTime: 0 },
  );
});
