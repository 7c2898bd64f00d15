import type { Progress } from '@fstool/fs';
import type { Op, Ops, Reply } from './protocol.js';

type OnProgress = (p: Progress & { volume: number }) => void;

/** Calls into the worker: one promise per request, progress reports along the way. */
export function connect(worker: Worker) {
  let next = 1;
  const pending = new Map<
    number,
    { resolve: (v: unknown) => void; reject: (e: Error) => void; progress?: OnProgress }
  >();
  worker.onmessage = (e: MessageEvent<Reply>) => {
    const r = e.data;
    const p = pending.get(r.id);
    if (!p) return;
    if ('progress' in r) return p.progress?.(r.progress);
    pending.delete(r.id);
    if (r.ok) p.resolve(r.value);
    else p.reject(Object.assign(new Error(r.error.message), { name: r.error.name }));
  };
  return function call<K extends Op>(op: K, args: Ops[K]['args'], progress?: OnProgress): Promise<Ops[K]['result']> {
    const id = next++;
    return new Promise((resolve, reject) => {
      pending.set(id, { resolve: resolve as (v: unknown) => void, reject, ...(progress ? { progress } : {}) });
      worker.postMessage({ id, op, args });
    });
  };
}

export type Call = ReturnType<typeof connect>;
