import { imagePath } from '../names.js';
import type { Register } from './index.js';

export const registerMv: Register = (program, io) => {
  program
    .command('mv')
    .alias('rename')
    .description('rename or move a file or directory inside an image, in one step')
    .argument('<image>', 'image file, or IMG:N for partition N')
    .argument('<from>', 'path inside the image')
    .argument('<to>', 'new path, or an existing directory to move into')
    .addHelpText(
      'after',
      '\nDefaults: an existing file at TO is replaced; an existing directory is moved into.\n\nExample:\n  fstool mv disk.img:1 /config.txt /config.txt.bak',
    )
    .action(async (ref, from, to) => {
      const [{ onFilesystem }, { move }, { verbosity }] = await Promise.all([
        import('./files.js'),
        import('../ops/moves.js'),
        import('../progress.js'),
      ]);
      const dest = await onFilesystem(ref, true, (fs) => move(fs, imagePath(from), imagePath(to)));
      if (verbosity.verbose) io.err(`${imagePath(from)} -> ${dest}\n`);
    });
};
