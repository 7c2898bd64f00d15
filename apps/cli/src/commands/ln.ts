import { imagePath } from '../names.js';
import type { Register } from './index.js';

export const registerLn: Register = (program) => {
  program
    .command('ln')
    .description('make a hard link (or with -s a symbolic link) inside an image')
    .argument('<image>', 'image file, or IMG:N for partition N')
    .argument('<target>', 'existing path (hard) or the link text (-s, stored as written)')
    .argument('<name>', 'the new name, or an existing directory to put it in')
    .option('-s, --symbolic', 'a symbolic link')
    .addHelpText(
      'after',
      '\nDefaults: a hard link (FAT has none and refuses).\n\nExample:\n  fstool ln -s disk.img:2 /lib/systemd/systemd /sbin/init',
    )
    .action(async (ref, target, name, o) => {
      const [{ onFilesystem }, { makeLink }] = await Promise.all([import('./files.js'), import('../ops/moves.js')]);
      const t = o.symbolic ? target : imagePath(target);
      await onFilesystem(ref, true, (fs) => makeLink(fs, t, imagePath(name), o.symbolic ?? false));
    });
};
