import { formatSize } from '@fstool/blockdev';
import type { FsInfo } from '@fstool/fs';
import type { ContainerInfo, ImageInfo } from 'fstool/node';
import { backingPolicy } from '../backing.js';
import { imageOptions, lockOptions, registryWith } from '../context.js';
import { columns, humanSize, toJson } from '../format.js';
import { escapeMessage } from '../names.js';
import type { Register } from './index.js';

export const registerInfo: Register = (program, io) => {
  program
    .command('info')
    .description('describe an image: container format, partition table, filesystems (IMG:N for one partition)')
    .argument('<image>', 'image file, or IMG:N for partition N')
    .option('--json', 'print as JSON')
    .action(async (ref, o) => {
      const { describeContainer, OpenImage, parseImageRef } = await import('fstool/node/open');
      const { path, partition } = parseImageRef(ref);
      const backing = backingPolicy();
      const image = await OpenImage.open(path, await registryWith(), {
        ...lockOptions(),
        ...imageOptions,
        backing,
      }).catch(async (err) => {
        // A refused or missing backing file: the container and its chain are still worth showing.
        if ((err as { code?: string }).code === 'BACKING_FILE') {
          const container = await describeContainer(path, backing);
          io.out(o.json ? toJson(container) : formatContainer(container));
        }
        throw err;
      });
      try {
        if (partition !== undefined || image.disk.table.kind === 'none') {
          const fs = await image.openFilesystem(partition, { writable: false });
          try {
            const info = await fs.info();
            // A filesystem inside qcow2: the container (and its chain) too.
            const container = image.format === 'qcow2' ? image.container : undefined;
            if (o.json) io.out(toJson(container ? { ...info, container } : info));
            else io.out((container ? `${formatContainer(container)}\n` : '') + formatFsInfo(info, fs.warnings));
          } finally {
            await fs.close();
          }
          return;
        }
        const info = await image.info();
        io.out(o.json ? toJson(info) : formatImageInfo(info));
      } finally {
        await image.close();
      }
    });
};

export function formatFsInfo(info: FsInfo, warnings: readonly string[]): string {
  const rows: string[][] = [];
  for (const [k, v] of Object.entries(info)) {
    if (v === undefined) continue;
    // The filesystem's size reads as the container's does ("8 MiB"); --json keeps the byte count.
    const text =
      k === 'size' && typeof v === 'number'
        ? formatSize(v)
        : Array.isArray(v)
          ? v.join(' ')
          : typeof v === 'object'
            ? JSON.stringify(v)
            : String(v);
    rows.push([`${k}:`, escapeMessage(text)]); // an ext label is bytes too
  }
  return columns(rows) + warnings.map((w) => `warning: ${w}\n`).join('');
}

/** The container lines: path, format, virtual size, qcow2 header summary, one line per backing file. */
function formatContainer(c: ContainerInfo, size = c.qcow2?.virtualSize): string {
  let out = `image:      ${c.path}\nformat:     ${c.format}\n`;
  if (size !== undefined) out += `size:       ${formatSize(size)}\n`;
  if (c.qcow2) {
    const q = c.qcow2;
    out += `qcow2:      version ${q.version}, cluster ${humanSize(q.clusterSize)}, ${humanSize(q.allocatedBytes)} allocated\n`;
  }
  (c.backingChain ?? []).forEach((l, i) => {
    const what = l.status === 'followed' ? l.format : `${l.status}: ${l.reason}`;
    out += `${i ? '            ' : 'backing:    '}${l.name} -> ${l.path} (${what})\n`;
  });
  return out;
}

function formatImageInfo(info: ImageInfo): string {
  let out = formatContainer(info, info.size);
  out += `table:      ${info.table}${info.id ? ` (${info.table === 'gpt' ? 'disk GUID' : 'signature'} ${info.id})` : ''}\n`;
  for (const w of info.warnings) out += `warning:    ${w}\n`;
  const rows = [['#', 'start', 'size', 'type', 'name', 'filesystem', 'label']];
  for (const v of info.volumes) {
    const p = v.partition;
    rows.push([
      String(v.index),
      p ? String(p.start) : '0',
      humanSize(p ? p.size : info.size),
      p ? p.type : '-',
      p?.name ?? '',
      p?.truncated ? 'truncated' : (v.filesystem?.type ?? (v.error ? `error: ${v.error}` : '-')),
      escapeMessage(v.filesystem?.label ?? ''),
    ]);
  }
  return `${out}\n${columns(rows)}`;
}
