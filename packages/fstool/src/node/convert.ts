import { type ConvertFileOptions, convertFile } from '@fstool/qcow2/node';
import { writeAtomically } from './atomic.js';
import { type OutputFormat, outputFormat } from './output.js';

export interface ConvertImageOptions extends Omit<ConvertFileOptions, 'format' | 'overwrite'> {
  /** Output format; default from the output name (.qcow2/.qcow/.q2 → qcow2). */
  format?: OutputFormat;
}

/** Converts raw ↔ qcow2 (or re-packs), streaming, skipping zero runs, written atomically. */
export async function convertImage(input: string, output: string, opts: ConvertImageOptions = {}) {
  const format = outputFormat(output, opts.format);
  return writeAtomically(output, (tmp) => convertFile(input, tmp, { ...opts, format }));
}
