import { unescapeName } from '@fstool/fs';
import { addHostPath } from '../edits/copy-in.js';
import { imagePath } from '../names.js';
import { progressBar, progressWanted, verbosity } from '../progress.js';
import { onFilesystem } from './files.js';
import type { Register } from './index.js';

export const registerAdd: Register = (program, io) => {
  program
    .command('add')
    .description('copy a host file, link, device node or directory tree into an image, like cp -a')
    .argument('<image>', 'image file, or IMG:N for partition N')
    .argument('<host-path>', 'what to copy from the host (escapes like caf\\xe9 name bytes)')
    .argument('<dest>', 'where inside the image: an existing directory receives it under its own name')
    .option('-p, --parents', 'create missing parent directories of <dest>')
    .action((ref, host, dest, o) =>
      onFilesystem(ref, true, async (fs) => {
        const bar = progressBar();
        const n = await addHostPath(fs, unescapeName(host), imagePath(dest), {
          parents: o.parents ?? false,
          ...(progressWanted()
            ? { onBytes: (done: number, total: number) => bar.onProgress({ phase: 'add', done, total }) }
            : {}),
          ...(verbosity.verbose ? { onEntry: (p: string) => io.err(`${p}\n`) } : {}),
        }).finally(() => bar.stop());
        if (!verbosity.quiet) io.err(`added ${n} ${n === 1 ? 'entry' : 'entries'}\n`);
      }),
    );
};
