/**
 * Run sizes. The normal suite runs a short deterministic run; `pnpm fuzz` (FSTOOL_FUZZ=long)
 * runs at least 10,000 cases per reader. FSTOOL_FUZZ_SEED and FSTOOL_FUZZ_CASES override.
 */
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { gunzipSync, gzipSync } from 'node:zlib';
import type { CaseResult, Reader } from '@fstool/fuzz';

export const LONG = process.env.FSTOOL_FUZZ === 'long';
/** Test timeout: a long run takes minutes per reader. */
export const TIMEOUT = LONG ? 4 * 3600_000 : 120_000;
export const SEED = Number(process.env.FSTOOL_FUZZ_SEED ?? 20261126) | 0;

/** Cases for one reader (or the spec parser) in this mode. */
export function cases(short: number): number {
  const n = Number(process.env.FSTOOL_FUZZ_CASES);
  if (Number.isSafeInteger(n) && n > 0) return n;
  return LONG ? 10_000 : short;
}

export const FIXTURES = join(import.meta.dirname, 'fixtures');

/** Saves a crashing input as `<reader>-<name>.bin` (gzipped past 64 KiB) and returns the file name. */
export function saveFixture(reader: Reader | 'spec', name: string, input: Uint8Array | string): string {
  mkdirSync(FIXTURES, { recursive: true });
  const bytes = typeof input === 'string' ? new TextEncoder().encode(input) : input;
  const ext = reader === 'spec' ? 'toml' : 'bin';
  const big = bytes.length > 64 * 1024;
  const file = `${reader}-${name}.${ext}${big ? '.gz' : ''}`;
  writeFileSync(join(FIXTURES, file), big ? gzipSync(bytes, { level: 9 }) : bytes);
  return file;
}

export function listFixtures(): Array<{ file: string; reader: Reader | 'spec'; bytes: Uint8Array }> {
  if (!existsSync(FIXTURES)) return [];
  return readdirSync(FIXTURES)
    .filter((f) => /\.(bin|toml)(\.gz)?$/.test(f))
    .sort()
    .map((file) => {
      const raw = readFileSync(join(FIXTURES, file));
      const bytes = new Uint8Array(file.endsWith('.gz') ? gunzipSync(raw) : raw);
      return { file, reader: file.slice(0, file.indexOf('-')) as Reader | 'spec', bytes };
    });
}

export interface Tally {
  cases: number;
  ok: number;
  errors: number;
  crashes: Array<CaseResult & { seedName: string; index: number; fixture?: string }>;
  hangs: number;
  memory: number;
  /** Hangs or memory outcomes that did not happen again on a second run (machine noise). */
  unconfirmed: string[];
  slowestMs: number;
  ms: number;
  peakRss: number;
}

export function newTally(): Tally {
  return {
    cases: 0,
    ok: 0,
    errors: 0,
    crashes: [],
    hangs: 0,
    memory: 0,
    unconfirmed: [],
    slowestMs: 0,
    ms: 0,
    peakRss: 0,
  };
}

export function report(what: string, t: Tally): string {
  const mb = (n: number) => `${Math.round(n / 2 ** 20)} MB`;
  return `fuzz ${what}: ${t.cases} cases in ${(t.ms / 1000).toFixed(1)} s (ok ${t.ok}, FsError ${t.errors}), crashes ${t.crashes.length}, hangs ${t.hangs}, memory ${t.memory}, unconfirmed ${t.unconfirmed.length}, slowest case ${Math.round(t.slowestMs)} ms, peak RSS ${mb(t.peakRss)}`;
}
