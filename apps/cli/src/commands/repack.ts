import { InvalidArgumentError } from '@fstool/blockdev';
import { backingPolicy } from '../backing.js';
import { imageOptions, lockOption, registryWith } from '../context.js';
import { humanSize, toJson } from '../format.js';
import { escapeMessage } from '../names.js';
import { progressBar, verbosity } from '../progress.js';
import { replaceNotice } from '../replace.js';
import { formatOption, intOption, parseSizeOrAuto } from './fs-build.js';
import type { Register } from './index.js';

export const registerRepack: Register = (program, io) => {
  program
    .command('repack')
    .description('rebuild a filesystem into a fresh image (another type, size or block size), no host copy')
    .argument('<source>', 'image file, or IMG:N for partition N')
    .argument('<output>', 'image to write (replaced atomically on success)')
    .option('--fs-type <type>', 'filesystem type to build (default: the source type)')
    .option(
      '--size <size>',
      'size (64MiB, 1G, bytes) or auto (default: the source size; a device: its capacity)',
      parseSizeOrAuto,
    )
    .option('--shrink', 'the smallest image that holds the content (same as --size auto)')
    .option('--block-size <n>', 'ext block size, or FAT cluster size, in bytes', intOption('--block-size'))
    .addOption(formatOption())
    .option('--force', 'allow writing onto a block device (everything on it is lost)')
    .option('--json', 'print the result as JSON')
    .action(async (source, output, o) => {
      if (o.shrink && o.size !== undefined) throw new InvalidArgumentError('give --size or --shrink, not both');
      const bar = progressBar();
      try {
        const { repack } = await import('fstool/node');
        const result = await repack(source, output, {
          registry: await registryWith(),
          ...(o.fsType !== undefined ? { fsType: o.fsType } : {}),
          ...(o.size !== undefined ? { size: o.size } : {}),
          ...(o.shrink ? { shrink: true } : {}),
          ...(o.blockSize !== undefined ? { blockSize: o.blockSize } : {}),
          ...(o.format ? { format: o.format } : {}),
          ...(o.force ? { force: true } : {}),
          backing: backingPolicy(),
          ...lockOption(),
          ...replaceNotice(io),
          ...imageOptions,
          onProgress: (p) => bar.onProgress(p),
          onWarning: (m) => io.err(`warning: ${escapeMessage(m)}\n`),
        });
        bar.stop();
        if (o.json) return io.out(toJson(result));
        if (verbosity.quiet) return;
        const v = result.volumes[0];
        const details = v ? `, ${v.entries} entries, ${humanSize(v.usedBytes)} used` : '';
        io.out(
          `wrote ${result.output}: ${v?.type ?? ''} ${result.format} image of ${humanSize(result.size)}${details}\n`,
        );
      } finally {
        bar.stop();
      }
    });
};
