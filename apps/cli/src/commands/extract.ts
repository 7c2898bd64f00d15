import { InvalidArgumentError } from '@fstool/blockdev';
import { humanSize } from '../format.js';
import { imagePath } from '../names.js';
import type { Register } from './index.js';

export const registerExtract: Register = (program, io) => {
  program
    .command('extract')
    .description('copy a tree (or one file) out of an image onto the host, like tar -x')
    .argument('<image>', 'image file, or IMG:N for partition N')
    .argument('<paths...>', '[PATH] DEST: what to copy (default /) and the host directory to copy it into')
    .option('--no-same-owner', 'do not copy owners, devices and non-user xattrs even as root')
    .addHelpText(
      'after',
      `
Defaults: PATH is /; DEST is created when missing; owners, device nodes and all xattrs are copied
when running as root (user.* xattrs always). Holes stay holes; hard links stay links.
Names that are unsafe on the host ('..', '/' inside a name) are skipped with a warning.

Example:
  fstool extract disk.img:2 /etc ./etc-copy`,
    )
    .action(async (ref, paths, o) => {
      const [{ onFilesystem }, { extractTree }, { verbosity, progressBar, progressWanted }] = await Promise.all([
        import('./files.js'),
        import('../extract.js'),
        import('../progress.js'),
      ]);
      const bar = progressBar();
      if (paths.length > 2) throw new InvalidArgumentError('extract takes [PATH] DEST');
      const [from, dest] = paths.length === 2 ? (paths as [string, string]) : ['/', paths[0] as string];
      const report = await onFilesystem(ref, false, (fs) =>
        extractTree(fs, imagePath(from), dest, {
          ...(o.sameOwner === false ? { privileged: false } : {}),
          onWarning: (m) => io.err(`warning: ${m}\n`),
          ...(progressWanted()
            ? { onBytes: (done: number, total: number) => bar.onProgress({ phase: 'data', done, total }) }
            : {}),
          ...(verbosity.verbose ? { onEntry: (p: string) => io.err(`${p}\n`) } : {}),
        }),
      ).finally(() => bar.stop());
      if (!verbosity.quiet) {
        const skipped = report.skipped ? `, ${report.skipped} skipped` : '';
        io.err(`extracted ${report.entries} entries (${humanSize(report.bytes)}) to ${dest}${skipped}\n`);
      }
    });
};
