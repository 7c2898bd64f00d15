import { CowDevice } from './cow-device.js';
import { exercise, isExpected, type Reach, type Reader } from './exercise.js';
import { HangError, memory, Watchdog, WatchedDevice } from './guard.js';
import { mutate, type Seed } from './mutate.js';
import { caseSeed, Rng } from './rng.js';

export type Outcome = 'ok' | 'error' | 'crash' | 'hang' | 'memory';

export interface CaseResult {
  outcome: Outcome;
  /** The FsError code, or the crash's name, message and stack top. */
  detail?: string;
  stack?: string;
  ms: number;
  /** Highest resident set size of the process seen during the case. */
  peakRss?: number;
  mutations: string[];
  /** The mutated input (only for findings). */
  input?: Uint8Array;
  /** A hang or memory outcome that did not happen again on a second run. */
  unconfirmed?: string;
}

export interface CaseOptions {
  /** Accumulates how far cases got. */
  reach?: Reach;
  /** Per-case time limit (default 5 s). */
  timeLimitMs?: number;
  /** ArrayBuffer growth during a case that counts as unbounded (default 128 MiB + 8× the image). */
  memoryLimit?: number;
}

/** Runs a prepared (possibly mutated) image through a reader under the watchdog. */
export async function runInput(
  reader: Reader,
  bytes: Uint8Array,
  opts: CaseOptions & { backing?: Uint8Array; mutations?: string[] } = {},
): Promise<CaseResult> {
  return runOn(reader, new CowDevice(bytes, { growable: reader === 'qcow2' }), opts);
}

/** Case `index` of a run seeded `seed`: mutate one of the seeds, then exercise it. */
export async function runCase(
  reader: Reader,
  seeds: readonly Seed[],
  seed: number,
  index: number,
  opts: CaseOptions = {},
): Promise<CaseResult & { seedName: string }> {
  const { s, dev, mutations } = prepare(reader, seeds, seed, index);
  const caseOpts = { ...opts, mutations, ...(s.backing ? { backing: s.backing } : {}) };
  let result = await runOn(reader, dev, caseOpts);
  if (result.outcome === 'hang' || result.outcome === 'memory') {
    // Time and memory are process-wide: a GC pause or a neighbour can trip them. A finding must
    // happen again on a fresh copy; if it does not, it is reported as unconfirmed.
    const again = await runOn(reader, prepare(reader, seeds, seed, index).dev, caseOpts);
    if (again.outcome !== result.outcome) result = { ...again, unconfirmed: `${result.outcome}: ${result.detail}` };
  }
  // A finding keeps its input: the same mutations replayed on a fresh copy (the case's own
  // writes are not part of it).
  if (result.outcome !== 'ok' && result.outcome !== 'error') {
    result.input = prepare(reader, seeds, seed, index).dev.snapshot();
  }
  return { ...result, seedName: s.name };
}

/** The mutated input of case `index`, before anything ran on it. */
export function prepare(reader: Reader, seeds: readonly Seed[], seed: number, index: number) {
  const rng = new Rng(caseSeed(seed, index));
  const s = rng.pick(seeds);
  const dev = new CowDevice(s.bytes, { growable: reader === 'qcow2' });
  const mutations = mutate(dev, s, rng);
  return { s, dev, mutations };
}

async function runOn(
  reader: Reader,
  dev: CowDevice,
  opts: CaseOptions & { backing?: Uint8Array; mutations?: string[] },
): Promise<CaseResult> {
  const limit = opts.timeLimitMs ?? 5000;
  const dog = new Watchdog(limit);
  const before = memory().arrayBuffers;
  const start = performance.now();
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new HangError(limit)), limit);
  });
  let outcome: Outcome = 'ok';
  let detail: string | undefined;
  let stack: string | undefined;
  try {
    const watched = new WatchedDevice(dev, dog);
    await Promise.race([
      exercise(reader, {
        dev: watched,
        ...(opts.backing ? { backing: opts.backing } : {}),
        ...(opts.reach ? { reach: opts.reach } : {}),
      }),
      timeout,
    ]);
  } catch (err) {
    if (err instanceof HangError || dog.expired) {
      outcome = 'hang';
      detail = String(err);
    } else if (isExpected(err)) {
      outcome = 'error';
      detail = err.code;
    } else {
      outcome = 'crash';
      const e = err instanceof Error ? err : new Error(String(err));
      detail = `${e.name}: ${e.message}`;
      stack = e.stack?.split('\n').slice(1, 6).join('\n');
    }
  } finally {
    clearTimeout(timer);
  }
  dog.sample();
  if (dog.expired && outcome !== 'crash') outcome = 'hang';
  const ms = performance.now() - start;
  const cap = opts.memoryLimit ?? 128 * 2 ** 20 + 8 * dev.size;
  if (outcome === 'ok' || outcome === 'error') {
    if (dog.peakArrayBuffers - before > cap) {
      outcome = 'memory';
      detail = `ArrayBuffers grew by ${Math.round((dog.peakArrayBuffers - before) / 2 ** 20)} MiB`;
    }
  }
  return {
    outcome,
    ...(detail !== undefined ? { detail } : {}),
    ...(stack !== undefined ? { stack } : {}),
    ms,
    peakRss: dog.peakRss,
    mutations: opts.mutations ?? [],
  };
}
