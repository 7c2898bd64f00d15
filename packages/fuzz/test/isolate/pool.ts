/**
 * Runs fuzz cases in a child process with a heap limit, restarting it when a case hangs (the
 * child is killed after the time limit, which stops even a loop that never yields) or runs out
 * of memory (the child dies, the test process lives; a worker thread's resourceLimits did not
 * contain every runaway allocation). Used by the long run and by the
 * regression test for inputs known to do either.
 */
import { type ChildProcess, fork } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { type CaseResult, prepare, type Reach, type Reader, type Seed } from '@fstool/fuzz';
import { toPlain } from './structs.js';

const here = new URL('.', import.meta.url);

export interface IsolatedResult extends CaseResult {
  seedName?: string;
  reach?: Reach;
}

export class IsolatedRunner {
  #worker: ChildProcess | undefined;
  #ready: Promise<void> | undefined;

  constructor(
    readonly reader: Reader,
    readonly seeds: readonly Seed[],
    readonly seed: number,
    readonly opts: { heapMb?: number; timeLimitMs?: number } = {},
  ) {}

  #start(): Promise<void> {
    if (this.#ready) return this.#ready;
    const w = fork(fileURLToPath(new URL('case-worker.ts', here)), [], {
      execArgv: ['--import', new URL('register.mjs', here).href, `--max-old-space-size=${this.opts.heapMb ?? 512}`],
      serialization: 'advanced',
      stdio: ['ignore', 'ignore', 'ignore', 'ipc'],
    });
    this.#worker = w;
    w.send({ init: { reader: this.reader, seeds: this.seeds.map(toPlain), seed: this.seed } });
    this.#ready = new Promise((resolve, reject) => {
      w.once('message', () => resolve());
      w.once('error', reject);
    });
    return this.#ready;
  }

  /** Case `index` of the run, or a given input (regression fixtures). */
  async run(job: { index: number } | { input: Uint8Array; backing?: Uint8Array }): Promise<IsolatedResult> {
    await this.#start();
    const w = this.#worker as ChildProcess;
    const limit = (this.opts.timeLimitMs ?? 5000) + 2000;
    const start = performance.now();
    const result = await new Promise<IsolatedResult>((resolve) => {
      const done = (r: IsolatedResult) => {
        clearTimeout(timer);
        w.off('message', onMessage);
        w.off('error', onError);
        w.off('exit', onExit);
        resolve(r);
      };
      const died = (outcome: 'hang' | 'memory', detail: string): IsolatedResult => ({
        outcome,
        detail,
        ms: performance.now() - start,
        mutations: [],
      });
      const onMessage = (m: { result: IsolatedResult; reach: Reach }) => done({ ...m.result, reach: m.reach });
      const onError = (err: Error) =>
        done({ outcome: 'crash', detail: `${err.name}: ${err.message}`, ms: 0, mutations: [] });
      // A child that dies mid-case ran out of heap (V8 aborts the process) or crashed outright.
      const onExit = (code: number | null, signal: string | null) =>
        done(
          code === 134 || signal === 'SIGABRT'
            ? died('memory', `heap over ${this.opts.heapMb ?? 512} MB`)
            : {
                outcome: 'crash',
                detail: `child exited (${code ?? signal})`,
                ms: performance.now() - start,
                mutations: [],
              },
        );
      const timer = setTimeout(() => done(died('hang', `no answer after ${limit} ms`)), limit);
      w.on('message', onMessage);
      w.once('error', onError);
      w.once('exit', onExit);
      w.send('index' in job ? { index: job.index } : { ...job, timeLimitMs: this.opts.timeLimitMs });
    });
    if (result.reach === undefined) await this.close(); // the worker is dead or stuck: start afresh
    if ('index' in job && result.outcome !== 'ok' && result.outcome !== 'error') {
      const p = prepare(this.reader, this.seeds, this.seed, job.index);
      result.input = p.dev.snapshot();
      result.seedName = p.s.name;
      result.mutations = p.mutations;
    }
    return result;
  }

  async close(): Promise<void> {
    const w = this.#worker;
    this.#worker = undefined;
    this.#ready = undefined;
    if (w && w.exitCode === null && w.signalCode === null) {
      const gone = new Promise((resolve) => w.once('exit', resolve));
      w.kill('SIGKILL');
      await gone;
    }
  }
}
