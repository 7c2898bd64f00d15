/**
 * Streams 1 GiB of mixed data (random runs and zero runs) in 4 MiB writes into a qcow2 image and
 * into a raw sparse file, the way a filesystem writer does, and prints the time ratio.
 * Target: qcow2 within 1.3x of raw.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { BlockDevice } from '@fstool/blockdev';
import { FileDevice } from '@fstool/blockdev/node';
import { afterAll, bench, describe } from 'vitest';
import { createQcow2File } from '../src/node.js';

const GiB = 2 ** 30;
const CHUNK = 4 * 2 ** 20;
const dir = mkdtempSync(join(tmpdir(), 'qcow2-bench-'));
const times = { raw: [] as number[], qcow2: [] as number[] };

/** One random 4 MiB chunk, reused; every fourth chunk is half zeros, every eighth all zeros. */
const random = new Uint8Array(CHUNK);
let x = 0x9e3779b9;
for (let i = 0; i < CHUNK; i += 4) {
  x ^= x << 13;
  x ^= x >>> 17;
  x ^= x << 5;
  new DataView(random.buffer).setUint32(i, x >>> 0);
}
const half = random.slice().fill(0, CHUNK / 2);
const zeros = new Uint8Array(CHUNK);

async function fill(dev: BlockDevice): Promise<void> {
  for (let off = 0, i = 0; off < GiB; off += CHUNK, i++) {
    await dev.write(off, i % 8 === 7 ? zeros : i % 4 === 3 ? half : random);
  }
  await dev.flush();
  await dev.close();
}

async function timed(kind: 'raw' | 'qcow2', run: () => Promise<void>) {
  rmSync(join(dir, `a.${kind}`), { force: true }); // deleting last run's file is not part of the timing
  const t0 = performance.now();
  await run();
  times[kind]?.push(performance.now() - t0);
  if (kind === 'qcow2' && times.raw.length > 0) report();
}

/** Best-of times so far and their ratio (printed after every qcow2 run; vitest bench hides hooks' output). */
function report(): void {
  const raw = Math.min(...times.raw);
  const qcow2 = Math.min(...times.qcow2);
  const rate = (ms: number) => ((1024 * 1000) / ms).toFixed(0);
  console.log(
    `best of runs: raw ${raw.toFixed(0)} ms (${rate(raw)} MiB/s), qcow2 ${qcow2.toFixed(0)} ms ` +
      `(${rate(qcow2)} MiB/s), ratio qcow2/raw ${(qcow2 / raw).toFixed(2)}x`,
  );
}

describe('write 1 GiB in 4 MiB chunks', () => {
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  bench(
    'raw sparse file',
    () => timed('raw', async () => fill(await FileDevice.create(join(dir, 'a.raw'), { size: GiB }))),
    { iterations: 5, time: 0, warmupIterations: 0 },
  );

  bench(
    'qcow2 (64 KiB clusters)',
    () => timed('qcow2', async () => fill(await createQcow2File(join(dir, 'a.qcow2'), { virtualSize: GiB }))),
    { iterations: 5, time: 0, warmupIterations: 0 },
  );
});
