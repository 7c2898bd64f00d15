/**
 * Names are bytes (see @fstool/fs names.ts): the CLI prints every name in the unambiguous `ls -b`
 * style escapeName form and reads path arguments in that form, so any name printed can be typed back.
 */
import { escapeName, nameBytesBase64, normalizePath, unescapeName } from '@fstool/fs';

/** A path argument inside an image: escapes read back (`caf\xe9`), then normalised. */
export function imagePath(arg: string): string {
  return normalizePath(unescapeName(arg));
}

/**
 * JSON form of a name or link target: `{[key]: display}` with the escapeName form, plus
 * `{[key]Bytes: base64}` of the exact bytes whenever the display differs from the name itself.
 */
export function jsonName(key: string, name: string): Record<string, string> {
  const shown = escapeName(name);
  return shown === name ? { [key]: name } : { [key]: shown, [`${key}Bytes`]: nameBytesBase64(name) };
}

/** Escaped bytes and unpaired surrogates in a message (error text names paths) in the escapeName form. */
export function escapeMessage(text: string): string {
  return text.replace(/[\uD800-\uDFFF]+/g, escapeName);
}
