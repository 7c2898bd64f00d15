import { type BlockDevice, copy, InvalidArgumentError, SliceDevice } from '@fstool/blockdev';
import { Qcow2Device, type Qcow2Info } from '@fstool/qcow2';
import { type ConvertFileOptions, convertFile, openImageFile } from '@fstool/qcow2/node';
import { writeAtomically } from './atomic.js';
import { ImageLock, type LockOptions } from './lock.js';
import { createOutput, type OutputFormat, outputFormat } from './output.js';
import { checkOutputPath } from './output-path.js';
import { isBlockDevicePath, openBlockTarget, TargetError } from './target.js';

export interface ConvertImageOptions extends Omit<ConvertFileOptions, 'format' | 'overwrite'> {
  /** Output format; default from the output name (.qcow2/.qcow/.q2 → qcow2). */
  format?: OutputFormat;
  /** Virtual size of the output; may only grow the image. A GPT inside gets its backup moved to the new end. */
  size?: number;
  /** Allow writing onto a block device (everything on it is lost). */
  force?: boolean;
  onWarning?: (message: string) => void;
  /** Told before any writing that an existing output file will be replaced. */
  onReplace?: (output: string) => void;
  /** How to take the locks on the input and an existing output (e.g. wait for an editor). */
  lock?: LockOptions;
}

export interface ConvertResult {
  format: OutputFormat;
  /** Virtual size of the output. */
  size?: number;
  info?: Qcow2Info;
  bytesWritten?: number;
}

/**
 * Converts raw ↔ qcow2 (or re-packs), streaming, skipping zero runs, written atomically. With
 * `size` the output is bigger than the input; onto a block device (with `force`) it is written in place.
 */
export async function convertImage(
  input: string,
  output: string,
  opts: ConvertImageOptions = {},
): Promise<ConvertResult> {
  checkOutputPath(output, [input]);
  const format = outputFormat(output, opts.format);
  // Readers hold a shared lock: no fstool edits the input while it is copied.
  const lock = await ImageLock.take(input, 'shared', opts.lock);
  try {
    return await convertLocked(input, output, format, opts);
  } finally {
    await lock.release();
  }
}

async function convertLocked(
  input: string,
  output: string,
  format: OutputFormat,
  opts: ConvertImageOptions,
): Promise<ConvertResult> {
  const { size, force, format: _asked, onWarning, onReplace, lock, ...rest } = opts;
  const atomic = {
    ...(onWarning ? { onWarning } : {}),
    ...(onReplace ? { onReplace } : {}),
    ...(lock ? { lock } : {}),
  };
  const device = isBlockDevicePath(output);
  if (size === undefined && !device)
    return writeAtomically(output, (tmp) => convertFile(input, tmp, { ...rest, format }), atomic);

  const { device: src } = await openImageFile(input, rest.backing ? { backing: rest.backing } : {});
  try {
    const want = size ?? src.size;
    if (want < src.size) {
      throw new InvalidArgumentError(
        `--size ${want} is smaller than ${input} (${src.size} bytes): convert only grows images; ` +
          'to make a filesystem smaller use fstool repack --shrink',
      );
    }
    const fill = async (dev: BlockDevice, zeroed: boolean): Promise<ConvertResult> => {
      const blockSize = dev instanceof Qcow2Device ? dev.clusterSize : 4096;
      const bytesWritten = await copy(src, dev, {
        skipZeros: zeroed,
        blockSize,
        chunkSize: Math.max(4 * 2 ** 20, blockSize),
        ...(opts.onProgress ? { onProgress: opts.onProgress } : {}),
      });
      if (want > src.size) await growPartitionTable(dev, src.size);
      await dev.flush();
      return {
        format,
        size: want,
        bytesWritten,
        ...(dev instanceof Qcow2Device ? { info: await dev.info() } : {}),
      };
    };
    if (device) {
      const dev = await openBlockTarget(output, { ...(force ? { force } : {}), format });
      try {
        if (want > dev.size) throw new TargetError(`${output} holds ${dev.size} bytes; the image needs ${want}`);
        return await fill(want === dev.size ? dev : new SliceDevice(dev, 0, want), false);
      } finally {
        await dev.close();
      }
    }
    return await writeAtomically(
      output,
      async (tmp) => {
        const dev = await createOutput(tmp, want, {
          format,
          ...(rest.clusterSize !== undefined ? { clusterSize: rest.clusterSize } : {}),
          ...(rest.compress ? { compress: true } : {}),
        });
        try {
          return await fill(dev, true);
        } finally {
          await dev.close();
        }
      },
      atomic,
    );
  } finally {
    await src.close();
  }
}

/**
 * After a disk grew from `oldSize`: a GPT's backup header and array move to the new end (and the
 * usable range grows), and the old backup copies are cleared so nothing finds a stale header.
 * MBR and bare filesystems need nothing.
 */
async function growPartitionTable(dev: BlockDevice, oldSize: number): Promise<void> {
  // Loaded only here: a plain conversion (the `fstool convert` command) never needs the GPT code.
  const { detectPartitionTable, moveBackupToEnd } = await import('@fstool/gpt');
  if ((await detectPartitionTable(dev)) !== 'gpt') return;
  const table = await moveBackupToEnd(dev);
  const ss = table.sectorSize;
  const arrayBytes = Math.ceil((table.entryCount * table.entrySize) / ss) * ss;
  const oldHeader = new Uint8Array(ss);
  await dev.read(oldSize - ss, oldHeader);
  const oldStart = oldSize - ss - arrayBytes;
  if (oldStart > 0 && new TextDecoder().decode(oldHeader.subarray(0, 8)) === 'EFI PART') {
    await dev.zero(oldStart, ss + arrayBytes);
  }
}
