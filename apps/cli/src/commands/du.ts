import { imagePath, jsonName } from '../names.js';
import type { Register } from './index.js';

export const registerDu: Register = (program, io) => {
  program
    .command('du')
    .description('apparent size of each directory below PATH (as du --apparent-size)')
    .helpOption('--help', 'display help for command')
    .argument('<image>', 'image file, or IMG:N for partition N')
    .argument('[path]', 'directory or file inside the image', '/')
    .option('-s, --summarize', 'only the total of PATH')
    .option('-a, --all', 'files too, not only directories')
    .option('-h, --human-readable', 'sizes in KiB/MiB/GiB instead of 1K blocks')
    .option('--json', 'print as JSON (docs/json/du.schema.json)')
    .addHelpText(
      'after',
      '\nDefaults: PATH /, 1K blocks, directories only.\n\nExample:\n  fstool du -sh disk.img:2 /usr',
    )
    .action(async (ref, path, o) => {
      const [{ onFilesystem }, { diskUsage, duText }, { toJson }] = await Promise.all([
        import('./files.js'),
        import('../ops/du.js'),
        import('../format.js'),
      ]);
      const rows = await onFilesystem(ref, false, (fs) => diskUsage(fs, imagePath(path), o));
      io.out(
        o.json
          ? toJson(rows.map(([bytes, p]) => ({ ...jsonName('path', p), bytes })))
          : duText(rows, o.humanReadable ?? false),
      );
    });
};
