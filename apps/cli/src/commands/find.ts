import { escapeName } from '@fstool/fs';
import { imagePath } from '../names.js';
import type { Register } from './index.js';

export const registerFind: Register = (program, io) => {
  program
    .command('find')
    .description('list paths at and below PATH that match every test given')
    .argument('<image>', 'image file, or IMG:N for partition N')
    .argument('[path]', 'where to start inside the image', '/')
    .option('--name <glob>', 'last name matches the shell glob (*, ?, [...])')
    .option('--type <letters>', 'f, d, l, c, b, p or s (comma-separated for several)')
    .option('--size <n>', "find's size test: [+-]N[ckMG], e.g. +1M (no suffix: 512-byte blocks)")
    .option('--json', 'print matching entries as JSON (docs/json/find.schema.json)')
    .addHelpText(
      'after',
      "\nDefaults: PATH /, no tests (every path). find(1)'s -name, -type and -size work too.\n\n" +
        "Example:\n  fstool find disk.img /etc --name '*.conf' --type f",
    )
    .action(async (ref, path, o) => {
      const [{ onFilesystem, entryJson }, { findEntries }, { toJson }] = await Promise.all([
        import('./files.js'),
        import('../ops/find.js'),
        import('../format.js'),
      ]);
      await onFilesystem(ref, false, async (fs) => {
        const found = [];
        for await (const e of findEntries(fs, imagePath(path), o)) {
          if (o.json) found.push(entryJson(e));
          else io.out(`${escapeName(e.path)}\n`);
        }
        if (o.json) io.out(toJson(found));
      });
    });
};
