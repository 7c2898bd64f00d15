import { FsError } from '@fstool/blockdev';
import type { ContentSource, Entry, FileSystem } from '@fstool/fs';

/** A shell command stopped by Ctrl-C. */
export class InterruptedError extends FsError {
  constructor() {
    super('INTERRUPTED', 'interrupted');
  }
}

const isAsyncIterable = (v: unknown): v is AsyncIterable<unknown> =>
  typeof v === 'object' && v !== null && Symbol.asyncIterator in v;

/** `source` with a cancellation point before each read, so the add of one big file stops too. */
function checkedSource(source: ContentSource, check: () => void): ContentSource {
  const out: ContentSource = {
    read: (offset, into) => {
      check();
      return source.read(offset, into);
    },
    close: () => source.close(),
  };
  const { readSync, holes } = source;
  if (readSync) {
    out.readSync = (offset, into) => {
      check();
      return readSync.call(source, offset, into);
    };
  }
  if (holes) out.holes = (opts) => holes.call(source, opts);
  return out;
}

/**
 * `fs` with a cancellation point before every operation, between the chunks a read yields and
 * before each read of an added file's contents: once `stopped()` is true the next one throws
 * InterruptedError, so a long `ls -R`, `cat`, `get` or `put` ends there (a failed add frees what
 * it took, as on any read error of its source). `close` is exempt.
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
        const entry = args[1] as Entry | undefined;
        const open = prop === 'add' ? entry?.open : undefined;
        if (entry && open) args[1] = { ...entry, open: () => checkedSource(open.call(entry), check) };
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
