import { OutOfRangeError } from './errors.js';

/** Throws unless [offset, offset+length) lies inside [0, size). */
export function checkRange(offset: number, length: number, size: number, what = 'access'): void {
  if (!Number.isSafeInteger(offset) || !Number.isSafeInteger(length) || offset < 0 || length < 0) {
    throw new OutOfRangeError(offset, length, size, what);
  }
  if (offset + length > size) throw new OutOfRangeError(offset, length, size, what);
}
