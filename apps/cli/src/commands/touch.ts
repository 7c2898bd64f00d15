import { imagePath } from '../names.js';
import { timeFlag } from '../time.js';
import type { Register } from './index.js';

export const registerTouch: Register = (program) => {
  program
    .command('touch')
    .description('set access and modification times inside an image, creating empty files that are missing')
    .argument('<image>', 'image file, or IMG:N for partition N')
    .argument('<paths...>', 'paths inside the image')
    .option('-d, --date <time>', 'seconds since 1970 or an ISO 8601 date (UTC unless it says)', 'now')
    .option('-m', 'only the modification time')
    .option('-a', 'only the access time')
    .option('-c, --no-create', 'do not create missing files')
    .addHelpText(
      'after',
      '\nDefaults: now, both times, missing files created.\n\nExample:\n  fstool touch -d 2024-01-01T00:00:00Z disk.img:2 /etc/hostname',
    )
    .action(async (ref, paths, o) => {
      const [{ onFilesystem }, { touch }] = await Promise.all([import('./files.js'), import('../ops/attrs.js')]);
      const time = o.date === 'now' ? undefined : timeFlag('--date')(o.date);
      const only = o.m && !o.a ? 'mtime' : o.a && !o.m ? 'atime' : undefined;
      await onFilesystem(ref, true, async (fs) => {
        for (const p of paths)
          await touch(fs, imagePath(p), {
            ...(time !== undefined ? { time } : {}),
            ...(only ? { only } : {}),
            noCreate: !o.create,
          });
      });
    });
};
