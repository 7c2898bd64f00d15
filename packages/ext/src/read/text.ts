/**
 * UTF-8 decoding of names and targets (encoding is in ../utf8.ts). TextDecoder exists in every
 * runtime we target, but this package compiles without DOM or Node types: declare what is used.
 */
declare const TextDecoder: new () => { decode(b: Uint8Array): string };

const decoder = new TextDecoder();

export function utf8(b: Uint8Array): string {
  return decoder.decode(b);
}
