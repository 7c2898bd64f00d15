import { type Stats, statSync } from 'node:fs';
import { dirname } from 'node:path';
import { TargetError } from './target.js';

const statOrUndefined = (path: string): Stats | undefined => {
  try {
    return statSync(path);
  } catch {
    return undefined;
  }
};

/** What a non-regular file is, for messages. */
function kindOf(st: Stats): string | undefined {
  if (st.isDirectory()) return 'a directory';
  if (st.isCharacterDevice()) return 'a character device';
  if (st.isFIFO()) return 'a FIFO';
  if (st.isSocket()) return 'a socket';
  return undefined;
}

/**
 * Checks an output path before any work: it must be a regular file (replaced by an atomic
 * rename), a new name in an existing directory, or a block device (checked when opened). A
 * directory, character device (`/dev/null`), FIFO or socket is refused — renaming over it would
 * replace the node — and so is any of `inputs` under another name (same device and inode).
 */
export function checkOutputPath(output: string, inputs: string[] = []): void {
  const st = statOrUndefined(output);
  if (!st) {
    const dir = dirname(output);
    const parent = statOrUndefined(dir);
    if (!parent) throw new TargetError(`cannot write ${output}: directory ${dir} does not exist`);
    if (!parent.isDirectory()) throw new TargetError(`cannot write ${output}: ${dir} is not a directory`);
    return;
  }
  const kind = kindOf(st);
  if (kind) {
    throw new TargetError(
      `${output} is ${kind}: the output must be a regular file (replaced atomically) or a block device`,
    );
  }
  for (const input of inputs) {
    const i = statOrUndefined(input);
    if (i && i.dev === st.dev && i.ino === st.ino) {
      throw new TargetError(`${output} is the source image ${input}; write to another file`);
    }
  }
}
