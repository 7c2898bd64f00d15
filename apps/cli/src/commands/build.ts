import { Option } from '@commander-js/extra-typings';

import { lockOption, registryWith } from '../context.js';

import { columns, humanSize, toJson } from '../format.js';
import { escapeMessage } from '../names.js';
import { progressBar, verbosity } from '../progress.js';
import { replaceNotice } from '../replace.js';
import { xattrsOption } from './fs-build.js';
import type { Register } from './index.js';

export const registerBuild: Register = (program, io) => {
  program
    .command('build')
    .description('build a disk or filesystem image from a TOML spec')
    .argument('<spec>', 'the spec file (relative sources resolve against its directory)')
    .requiredOption('-o, --output <file>', 'image to write (replaced atomically on success)')
    .addOption(
      new Option('--format <format>', 'output format (default: [output] format, else from the name)').choices([
        'raw',
        'qcow2',
      ] as const),
    )
    .addOption(xattrsOption())
    .option('--force', 'allow writing onto a block device (everything on it is lost)')
    .option('--json', 'print the result as JSON')
    .action(async (spec, opts) => {
      const bar = progressBar();
      const started = performance.now();
      try {
        const { buildSpecFile } = await import('fstool/node');
        const result = await buildSpecFile(spec, {
          output: opts.output,
          registry: await registryWith(),
          ...(opts.format ? { format: opts.format } : {}),
          ...(opts.force ? { force: true } : {}),
          ...lockOption(),
          ...replaceNotice(io),
          ...(opts.xattrs ? { xattrs: opts.xattrs } : {}),
          onProgress: (_v, p) => bar.onProgress(p),
          onWarning: (m) => io.err(`warning: ${escapeMessage(m)}\n`),
        });
        bar.stop();
        if (opts.json) return io.out(toJson(result));
        if (verbosity.quiet) return;
        const rows = [['#', 'type', 'start', 'size', 'used', 'entries']];
        for (const v of result.volumes) {
          rows.push([
            String(v.index),
            v.type,
            humanSize(v.start),
            humanSize(v.size),
            humanSize(v.usedBytes),
            String(v.entries),
          ]);
        }
        io.out(columns(rows));
        const secs = ((performance.now() - started) / 1000).toFixed(2);
        const table = result.table ? `${result.table.toUpperCase()} ` : '';
        io.out(`wrote ${result.output}: ${table}${result.format} image of ${humanSize(result.size)} in ${secs} s\n`);
      } finally {
        bar.stop();
      }
    });
};
