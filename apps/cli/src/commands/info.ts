import type { FsInfo } from '@fstool/fs';
import type { ImageInfo } from 'fstool/node';
import { OpenImage, parseImageRef } from 'fstool/node';
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
      const { path, partition } = parseImageRef(ref);
      const image = await OpenImage.open(path, await registryWith(), { ...lockOptions(), ...imageOptions });
      try {
        if (partition !== undefined || image.disk.table.kind === 'none') {
          const fs = await image.openFilesystem(partition, { writable: false });
          try {
            const info = await fs.info();
            io.out(o.json ? toJson(info) : formatFsInfo(info, fs.warnings));
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
    const text = Array.isArray(v) ? v.join(' ') : typeof v === 'object' ? JSON.stringify(v) : String(v);
    rows.push([`${k}:`, escapeMessage(text)]); // an ext label is bytes too
  }
  return columns(rows) + warnings.map((w) => `warning: ${w}\n`).join('');
}

function formatImageInfo(info: ImageInfo): string {
  let out = `image:      ${info.path}\nformat:     ${info.format}\nsize:       ${humanSize(info.size)} (${info.size} bytes)\n`;
  if (info.qcow2) {
    const q = info.qcow2;
    out += `qcow2:      version ${q.version}, cluster ${humanSize(q.clusterSize)}, ${humanSize(q.allocatedBytes)} allocated`;
    out += q.backingFile ? `, backing file ${q.backingFile}\n` : '\n';
  }
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
      v.filesystem?.type ?? (v.error ? `error: ${v.error}` : '-'),
      escapeMessage(v.filesystem?.label ?? ''),
    ]);
  }
  return `${out}\n${columns(rows)}`;
}
