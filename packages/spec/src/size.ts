import { describe } from './describe.js';
import { SpecError } from './errors.js';

/**
 * Byte sizes as mke2fs, qemu-img and sgdisk read them: K/M/G/T/P/E and KiB/MiB/… are powers of 1024,
 * KB/MB/GB/… are powers of 1000, a bare number is bytes (an optional `B` suffix too). Case-insensitive.
 * A decimal mantissa is allowed when the result is a whole number of bytes (`1.5GiB`).
 */
const SIZE_RE = /^(\d+)(?:\.(\d+))?\s*(?:([kmgtpe])(i?b)?|b)?$/i;
const POWERS: Record<string, number> = { k: 1, m: 2, g: 3, t: 4, p: 5, e: 6 };

/** Largest size accepted: offsets are JS numbers, exact to 2^53. */
export const MAX_SIZE = 2 ** 53;

/** Parses a byte size, returning the byte count or an error message (`must be …`). */
export function readSize(value: unknown): number | { error: string } {
  // @iarna/toml returns integers past 2^53 as BigInt (and wraps those past 2^63): never echo them.
  if (typeof value === 'bigint') return { error: 'must be at most 2^53 bytes, got a larger integer' };
  if (typeof value === 'number') {
    if (!Number.isInteger(value) || value < 0) {
      return { error: `must be a whole, non-negative number of bytes or a string like "64MiB", got ${value}` };
    }
    return value > MAX_SIZE ? { error: `must be at most 2^53 bytes, got ${value}` } : value;
  }
  if (typeof value !== 'string') {
    return { error: `must be a size like "64MiB", "1G" or a number of bytes, got ${describe(value)}` };
  }
  const m = SIZE_RE.exec(value.trim());
  if (m === null) {
    return { error: `must be a size like "64MiB", "1G", "512K" or a number of bytes, got ${JSON.stringify(value)}` };
  }
  const [, whole = '', fraction = '', unit, suffix] = m;
  const power = unit === undefined ? 0 : POWERS[unit.toLowerCase()]!;
  const base = suffix !== undefined && suffix.toLowerCase() === 'b' ? 1000n : 1024n;
  // Exact integer arithmetic: 1.5G is 1610612736, 0.3K is not a byte count.
  const scaled = BigInt(whole + fraction) * base ** BigInt(power);
  const divisor = 10n ** BigInt(fraction.length);
  if (scaled % divisor !== 0n) return { error: `must be a whole number of bytes, got ${JSON.stringify(value)}` };
  const bytes = scaled / divisor;
  if (bytes > BigInt(MAX_SIZE)) return { error: `must be at most 2^53 bytes, got ${JSON.stringify(value)}` };
  return Number(bytes);
}

/** Parses a byte size (`"64MiB"`, `"1G"`, `"2GB"`, `4096`); throws `SpecError` on anything else. */
export function parseSize(value: string | number): number {
  const r = readSize(value);
  if (typeof r === 'number') return r;
  throw new SpecError([{ path: '', message: `size ${r.error}` }]);
}
