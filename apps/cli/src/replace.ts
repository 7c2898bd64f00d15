import type { Io } from './io.js';
import { escapeMessage } from './names.js';
import { verbosity } from './progress.js';

/**
 * The writers' `onReplace`: an output that already exists is replaced, so say so on stderr (as
 * qemu-img convert does), unless -q. Spread into the facade's build, convert and repack options.
 */
export const replaceNotice = (io: Io) =>
  verbosity.quiet ? {} : { onReplace: (path: string) => io.err(`fstool: replacing existing ${escapeMessage(path)}\n`) };
