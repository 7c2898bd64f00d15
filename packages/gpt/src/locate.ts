/** Finding a GPT by its header signature alone: what detection needs before any table code loads. */
import type { BlockDevice } from '@fstool/blockdev';

/** Where a GPT header signature is: LBA 1 (primary) or the last sector (backup), and at which sector size. */
export async function locateGpt(
  dev: BlockDevice,
): Promise<{ sectorSize: number; at: 'primary' | 'backup' } | undefined> {
  const sig = new Uint8Array(8);
  const places = [
    ['primary', (ss: number) => ss],
    ['backup', (ss: number) => (Math.floor(dev.size / ss) - 1) * ss],
  ] as const;
  for (const [at, offset] of places) {
    for (const ss of [512, 4096]) {
      const off = offset(ss);
      if (off < ss || off + 8 > dev.size) continue;
      await dev.read(off, sig);
      if (String.fromCharCode(...sig) === 'EFI PART') return { sectorSize: ss, at };
    }
  }
  return undefined;
}

/** The sector size whose LBA 1 (or last LBA) holds a GPT signature, else undefined. */
export async function findGptSectorSize(dev: BlockDevice): Promise<number | undefined> {
  return (await locateGpt(dev))?.sectorSize;
}
