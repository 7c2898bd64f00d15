import CRC32 from 'crc-32';

/** CRC-32 (IEEE, as in zlib) used by the GPT header and entry array checksums. */
export function crc32(data: Uint8Array): number {
  return CRC32.buf(data) >>> 0;
}
