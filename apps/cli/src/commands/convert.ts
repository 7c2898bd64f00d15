import { Option } from '@commander-js/extra-typings';
import { backingPolicy } from '../backing.js';
import { lockOption } from '../context.js';

import { humanSize, toJson } from '../format.js';
import { progressBar, verbosity } from '../progress.js';
import { replaceNotice } from '../replace.js';
import { sizeFlag } from './fs-build.js';
import type { Register } from './index.js';

export const registerConvert: Register = (program, io) => {
  program
    .command('convert')
    .description('convert an image between raw and qcow2 (streaming, zero runs stay holes)')
    .argument('<input>', 'raw or qcow2 image')
    .argument('<output>', 'image to write (replaced atomically on success)')
    .addOption(
      new Option('--format <format>', 'output format (default: from the name)').choices(['raw', 'qcow2'] as const),
    )
    .option('--compress', 'write compressed qcow2 clusters (like qemu-img convert -c)')
    .option('--cluster-size <size>', 'qcow2 cluster size (default 64KiB)', sizeFlag('--cluster-size'))
    .option(
      '--size <size>',
      'grow the virtual size (a GPT backup moves to the new end); never shrinks',
      sizeFlag('--size'),
    )
    .option('--force', 'allow writing onto a block device (everything on it is lost)')
    .option('--json', 'print the result as JSON')
    .action(async (input, output, o) => {
      const bar = progressBar();
      try {
        // Its own entry: the conversion loads without the filesystem drivers and builders.
        const { convertImage } = await import('fstool/node/convert');
        const result = await convertImage(input, output, {
          ...(o.format ? { format: o.format } : {}),
          ...(o.compress ? { compress: true } : {}),
          ...(o.clusterSize !== undefined ? { clusterSize: o.clusterSize } : {}),
          ...(o.size !== undefined ? { size: o.size } : {}),
          ...(o.force ? { force: true } : {}),
          backing: backingPolicy(),
          ...lockOption(),
          ...replaceNotice(io),
          onProgress: (done, total) => bar.onProgress({ phase: 'convert', done, total }),
          onWarning: (m) => io.err(`warning: ${m}\n`),
        });
        bar.stop();
        if (o.json) return io.out(toJson(result));
        if (verbosity.quiet) return;
        const size = result.info ? `, ${humanSize(result.info.allocatedBytes)} allocated` : '';
        const grown = result.size !== undefined ? ` of ${humanSize(result.size)}` : '';
        io.out(`wrote ${output}: ${result.format}${grown}${size}\n`);
      } finally {
        bar.stop();
      }
    });
};
