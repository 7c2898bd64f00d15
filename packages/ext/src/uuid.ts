/** UUIDs as the 16 bytes ext stores (RFC byte order) and back. */
import { InvalidArgumentError } from '@fstool/blockdev';

declare const crypto: { getRandomValues<T extends Uint8Array>(array: T): T };

export function parseUuid(text: string, what: string): Uint8Array {
  const hex = text.replaceAll('-', '');
  if (!/^[0-9a-fA-F]{32}$/.test(hex)) throw new InvalidArgumentError(`${what} ${JSON.stringify(text)} is not a UUID`);
  const out = new Uint8Array(16);
  for (let i = 0; i < 16; i++) out[i] = Number.parseInt(hex.slice(i * 2, i * 2 + 2), 16);
  return out;
}

export function formatUuid(b: Uint8Array): string {
  let h = '';
  for (const x of b) h += x.toString(16).padStart(2, '0');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
}

/** A random version-4 UUID (only when the caller gave none: builds are then not reproducible). */
export function randomUuid(): Uint8Array {
  const b = crypto.getRandomValues(new Uint8Array(16));
  b[6] = ((b[6] as number) & 0x0f) | 0x40;
  b[8] = ((b[8] as number) & 0x3f) | 0x80;
  return b;
}
