import type { ContentSource } from './entry.js';

/**
 * A ContentSource over a stream of chunks, holding one chunk at a time (never the whole file).
 * Sequential reads are cheap; a read behind the current chunk restarts the stream from the start.
 */
export function streamSource(open: () => AsyncIterable<Uint8Array>): ContentSource {
  let it: AsyncIterator<Uint8Array> | undefined;
  let chunk: Uint8Array = new Uint8Array(0);
  let chunkStart = 0;
  const restart = async () => {
    await it?.return?.();
    it = open()[Symbol.asyncIterator]();
    chunk = new Uint8Array(0);
    chunkStart = 0;
  };
  return {
    async read(offset, into) {
      if (!it || offset < chunkStart) await restart();
      let filled = 0;
      while (filled < into.length) {
        const at = offset + filled;
        const end = chunkStart + chunk.length;
        if (at < end) {
          const n = Math.min(end - at, into.length - filled);
          into.set(chunk.subarray(at - chunkStart, at - chunkStart + n), filled);
          filled += n;
          continue;
        }
        const r = await it!.next();
        if (r.done) break;
        chunkStart = end;
        chunk = r.value;
      }
      return filled;
    },
    async close() {
      const i = it;
      it = undefined;
      chunk = new Uint8Array(0);
      await i?.return?.();
    },
  };
}
