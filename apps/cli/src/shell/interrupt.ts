import { FsError } from '@fstool/blockdev';
import type { FileSystem } from '@fstool/fs';

/** A shell command stopped by Ctrl-C. */
export class InterruptedError extends FsError {
  constructor() {
    super('INTERRUPTED', 'interrupted');
  }
}

const isAsyncIterable = (v: unknown): v is AsyncIterable<unknown> =>
  typeof v === 'object' && v !== null && Symbol.asyncIterator in v;

/**
 * `fs` with a cancellation point before every operation (and between the chunks a read yields):
 * once `stopped()` is true the next one throws InterruptedError, so a long `ls -R`, `cat` or
 * `put` of a tree ends between two filesystem operations, never inside one. `close` is exempt.
 */
export function interruptible(fs: FileSystem, stopped: () => boolean): FileSystem {
  const check = () => {
    if (stopped()) throw new InterruptedError();
  };
  return new Proxy(fs, {
    get(target, prop) {
      const value: unknown = Reflect.get(target, prop, target);
      if (typeof value !== 'function' || prop === 'close') return value;
      return (...args: unknown[]) => {
        check();
        const result: unknown = value.apply(target, args);
        if (!isAsyncIterable(result)) return result;
        return (async function* () {
          for await (const chunk of result) {
            check();
            yield chunk;
          }
        })();
      };
    },
  });
}
