/**
 * Reads 1 GiB of mixed data (random runs and zero runs) in 4 MiB requests from a qcow2 image and
 * from a raw sparse file holding the same bytes, and prints the time ratio.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { BlockDevice } from '@fstool/blockdev';
import { FileDevice } from '@fstool/blockdev/node';
import { afterAll, bench, describe } from 'vitest';
import { createQcow2File, openQcow2File } from '../src/node.js';

const GiB = 2 ** 30;
const CHUNK = 4 * 2 ** 20;
const dir = mkdtempSync(join(tmpdir(), 'qcow2-read-bench-'));
const times = { raw: [] as number[], qcow2: [] as number[] };

function chunk(i: number): Uint8Array {
  const out = new Uint8Array(CHUNK);
  if (i % 8 === 7) return out;
  let x = 0x9e3779b9 + i;
  for (let k = 0; k < CHUNK; k += 4) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    new DataView(out.buffer).setUint32(k, x >>> 0);
  }
  if (i % 4 === 3) out.fill(0, CHUNK / 2);
  return out;
}

async function readAll(dev: BlockDevice): Promise<void> {
  const buf = new Uint8Array(CHUNK);
  for (let off = 0; off < GiB; off += CHUNK) await dev.read(off, buf);
  await dev.close();
}

async function timed(kind: 'raw' | 'qcow2', open: () => Promise<BlockDevice>) {
  await prepare();
  const dev = await open();
  const t0 = performance.now();
  await readAll(dev);
  times[kind].push(performance.now() - t0);
  if (kind === 'qcow2' && times.raw.length > 0) {
    const raw = Math.min(...times.raw);
    const q = Math.min(...times.qcow2);
    console.log(
      `best of runs: raw read ${raw.toFixed(0)} ms, qcow2 read ${q.toFixed(0)} ms, ratio ${(q / raw).toFixed(2)}x`,
    );
  }
}

/** Writes the same bytes to both files once (vitest bench runs no beforeAll hooks). */
let prepared: Promise<void> | undefined;
function prepare(): Promise<void> {
  prepared ??= (async () => {
    const raw = await FileDevice.create(join(dir, 'a.raw'), { size: GiB });
    const q = await createQcow2File(join(dir, 'a.qcow2'), { virtualSize: GiB });
    for (let i = 0; i * CHUNK < GiB; i++) {
      const c = chunk(i);
      await raw.write(i * CHUNK, c);
      await q.write(i * CHUNK, c);
    }
    await raw.close();
    await q.close();
  })();
  return prepared;
}

describe('read 1 GiB in 4 MiB requests', () => {
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  bench('raw sparse file', () => timed('raw', () => FileDevice.open(join(dir, 'a.raw'))), {
    iterations: 5,
    time: 0,
    warmupIterations: 0,
  });
  bench('qcow2 (64 KiB clusters)', () => timed('qcow2', () => openQcow2File(join(dir, 'a.qcow2'))), {
    iterations: 5,
    time: 0,
    warmupIterations: 0,
  });
});
