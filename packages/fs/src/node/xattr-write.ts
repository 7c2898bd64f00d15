import { createRequire } from 'node:module';
import { UnsupportedError } from '../errors.js';

interface XattrSetter {
  setAttributeSync(path: string, name: string, value: Uint8Array): void;
}

/**
 * Writes xattrs onto a host path (extracting from an image). Names outside `user.` need root and
 * a filesystem that keeps them; a failure names the path and the attribute.
 */
export function writeHostXattrs(path: string, xattrs: ReadonlyMap<string, Uint8Array>): void {
  let mod: XattrSetter;
  try {
    mod = createRequire(import.meta.url)('@napi-rs/xattr') as XattrSetter;
  } catch (e) {
    throw new UnsupportedError(
      `writing host xattrs needs the optional dependency @napi-rs/xattr (${(e as Error).message})`,
    );
  }
  for (const [name, value] of xattrs) {
    try {
      mod.setAttributeSync(path, name, value);
    } catch (e) {
      throw new UnsupportedError(`${path}: cannot set xattr ${name}: ${(e as Error).message}`);
    }
  }
}
