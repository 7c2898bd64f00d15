import { encodeName, isPlainName } from '../names.js';

/**
 * The form of a host path Node's fs calls take: the string itself when it is UTF-8 text, else its
 * bytes (a path holding escaped bytes from names.ts would be mangled if passed as a string).
 */
export function hostPath(path: string): string | Buffer {
  return isPlainName(path) ? path : Buffer.from(encodeName(path));
}
