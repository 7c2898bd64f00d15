import { readFileSync } from 'node:fs';
import { FileDevice } from '@fstool/blockdev/node';
import { mustRun, runTool } from '@fstool/testkit/node';
import { expect } from 'vitest';

/** Deterministic pseudo-random bytes (xorshift32), so failures reproduce. */
export function pattern(length: number, seed: number): Uint8Array {
  const out = new Uint8Array(length);
  let x = seed >>> 0 || 1;
  for (let i = 0; i < length; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    out[i] = x & 0xff;
  }
  return out;
}

/** `qemu-img check` must report no errors and no leaks. */
export function expectQemuCheckClean(path: string): void {
  const r = runTool('qemu-img', ['check', '--output=json', path]);
  const report = JSON.parse(r.stdout || '{}') as Record<string, number>;
  expect({ code: r.code, stderr: r.stderr, corruptions: report.corruptions ?? 0, leaks: report.leaks ?? 0 }).toEqual({
    code: 0,
    stderr: '',
    corruptions: 0,
    leaks: 0,
  });
  expect(report['check-errors']).toBe(0);
}

/** Converts with `qemu-img convert -O raw` and returns a read-only device over the result. */
export async function qemuRaw(path: string, out: string): Promise<FileDevice> {
  mustRun('qemu-img', ['convert', '-O', 'raw', path, out]);
  return FileDevice.open(out);
}

export interface Write {
  offset: number;
  data: Uint8Array;
}

/** The bytes [offset, offset+length) should hold after applying `writes` in order to a zero disk. */
export function expected(writes: Write[], offset: number, length: number): Uint8Array {
  const out = new Uint8Array(length);
  for (const w of writes) {
    const start = Math.max(w.offset, offset);
    const end = Math.min(w.offset + w.data.length, offset + length);
    if (start < end) out.set(w.data.subarray(start - w.offset, end - w.offset), start - offset);
  }
  return out;
}

/** Regions worth comparing: each write's extent widened by a margin, merged. */
export function regions(writes: Write[], margin: number, size: number): Array<[number, number]> {
  const spans = writes
    .map((w) => [Math.max(0, w.offset - margin), Math.min(size, w.offset + w.data.length + margin)] as [number, number])
    .sort((a, b) => a[0] - b[0]);
  const out: Array<[number, number]> = [];
  for (const s of spans) {
    const last = out[out.length - 1];
    if (last && s[0] <= last[1]) last[1] = Math.max(last[1], s[1]);
    else out.push([...s]);
  }
  return out;
}

/** Compares the device's bytes with the model over every written region (plus margins). */
export async function expectContents(
  dev: { read(o: number, b: Uint8Array): Promise<void>; size: number },
  writes: Write[],
  margin = 70_000,
): Promise<void> {
  for (const [start, end] of regions(writes, margin, dev.size)) {
    const got = new Uint8Array(end - start);
    await dev.read(start, got);
    const want = expected(writes, start, end - start);
    if (Buffer.compare(got, want) !== 0) {
      let i = 0;
      while (got[i] === want[i]) i++;
      throw new Error(`contents differ at virtual offset ${start + i}: got ${got[i]}, want ${want[i]}`);
    }
  }
}

export function fileBytes(path: string): Uint8Array {
  return new Uint8Array(readFileSync(path));
}
