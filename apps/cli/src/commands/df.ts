import type { Register } from './index.js';

export const registerDf: Register = (program, io) => {
  program
    .command('df')
    .description('space and inodes used and free, per filesystem (every partition, or IMG:N for one)')
    .helpOption('--help', 'display help for command')
    .argument('<image>', 'image file, or IMG:N for partition N')
    .option('-h, --human-readable', 'sizes in KiB/MiB/GiB instead of 1K blocks')
    .option('--json', 'print as JSON (docs/json/df.schema.json)')
    .addHelpText('after', '\nDefaults: 1K blocks, every filesystem of the image.\n\nExample:\n  fstool df -h disk.img')
    .action(async (ref, o) => {
      const [{ OpenImage, parseImageRef }, { registryWith }, { space, dfText }, { toJson }] = await Promise.all([
        import('fstool/node/open'),
        import('../context.js'),
        import('../ops/space.js'),
        import('../format.js'),
      ]);
      const { path, partition } = parseImageRef(ref);
      const image = await OpenImage.open(path, await registryWith());
      try {
        const info = await image.info();
        const rows: Array<[string, ReturnType<typeof space>]> = [];
        for (const v of info.volumes) {
          if (partition !== undefined && v.index !== partition) continue;
          if (v.filesystem) rows.push([v.index ? `${path}:${v.index}` : path, space(v.filesystem)]);
        }
        if (partition !== undefined && rows.length === 0) {
          const fs = await image.openFilesystem(partition, { writable: false });
          try {
            rows.push([ref, space(await fs.info())]);
          } finally {
            await fs.close();
          }
        }
        io.out(o.json ? toJson(rows.map(([name, s]) => ({ name, ...s }))) : dfText(rows, o.humanReadable ?? false));
      } finally {
        await image.close();
      }
    });
};
