/** GUIDs as GPT stores them: the first three fields little-endian, the rest as written. */
import { InvalidArgumentError } from '@fstool/blockdev';

const GUID_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
export const NIL_GUID = '00000000-0000-0000-0000-000000000000';

export const isGuid = (s: string) => GUID_RE.test(s);

/** `xxxxxxxx-…` (any case) to the 16 bytes GPT stores. */
export function guidToBytes(guid: string): Uint8Array {
  if (!isGuid(guid)) throw new InvalidArgumentError(`'${guid}' is not a GUID (xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx)`);
  const hex = guid.replace(/-/g, '');
  const b = new Uint8Array(16);
  for (let i = 0; i < 16; i++) b[i] = Number.parseInt(hex.slice(2 * i, 2 * i + 2), 16);
  b.subarray(0, 4).reverse();
  b.subarray(4, 6).reverse();
  b.subarray(6, 8).reverse();
  return b;
}

/** 16 GPT-order bytes to an upper-case GUID string (as sgdisk prints it). */
export function bytesToGuid(b: Uint8Array): string {
  const h = (from: number, to: number, rev: boolean) => {
    const part = [...b.subarray(from, to)];
    if (rev) part.reverse();
    return part.map((x) => x.toString(16).padStart(2, '0')).join('');
  };
  return [h(0, 4, true), h(4, 6, true), h(6, 8, true), h(8, 10, false), h(10, 16, false)].join('-').toUpperCase();
}
