import { FsError } from '@fstool/blockdev';
import { onFilesystem } from './files.js';
import type { Register } from './index.js';

export const registerShell: Register = (program, io) => {
  program
    .command('shell')
    .description(
      'an interactive session inside an image: ls, cd, cat, get, put, rm, mkdir, mv, ln, chmod, find, du, df, ...',
    )
    .argument('<image>', 'image file, or IMG:N for partition N')
    .option('--ro', 'open read-only: writing commands are refused')
    .action(async (ref, o) => {
      const readOnly = o.ro ?? false;
      const { runShell } = await import('../shell/session.js');
      const failed = await onFilesystem(ref, !readOnly, (fs) => runShell(fs, io, { readOnly, name: ref }));
      // Piped scripts learn that something went wrong; every error was already printed.
      if (failed && !io.isTTY) throw new FsError('SHELL', `${failed} ${failed === 1 ? 'command' : 'commands'} failed`);
    });
};
