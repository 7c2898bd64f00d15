import type { ContentSource } from './entry.js';

/** `src`, calling `onRead(n)` with the byte count of every read (progress in bytes as data moves). */
export function countingSource(src: ContentSource, onRead: (n: number) => void): ContentSource {
  const count = (n: number) => {
    onRead(n);
    return n;
  };
  const readSync = src.readSync?.bind(src);
  const holes = src.holes?.bind(src);
  return {
    read: async (offset, into) => count(await src.read(offset, into)),
    ...(readSync ? { readSync: (offset: number, into: Uint8Array) => count(readSync(offset, into)) } : {}),
    ...(holes ? { holes } : {}),
    close: () => src.close(),
  };
}
