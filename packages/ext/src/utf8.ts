/** UTF-8 encoding of names and link targets (the package has no DOM/Node types, so the global is declared here). */
declare const TextEncoder: (new () => { encode(s: string): Uint8Array }) | undefined;

const encoder = typeof TextEncoder === 'function' ? new TextEncoder() : undefined;

export function encodeUtf8(s: string): Uint8Array {
  if (encoder) return encoder.encode(s);
  const out: number[] = [];
  for (const ch of s) {
    const c = ch.codePointAt(0) as number;
    if (c < 0x80) out.push(c);
    else if (c < 0x800) out.push(0xc0 | (c >> 6), 0x80 | (c & 0x3f));
    else if (c < 0x10000) out.push(0xe0 | (c >> 12), 0x80 | ((c >> 6) & 0x3f), 0x80 | (c & 0x3f));
    else out.push(0xf0 | (c >> 18), 0x80 | ((c >> 12) & 0x3f), 0x80 | ((c >> 6) & 0x3f), 0x80 | (c & 0x3f));
  }
  return Uint8Array.from(out);
}
