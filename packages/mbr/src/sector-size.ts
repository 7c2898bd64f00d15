/**
 * The logical sector size of an MBR disk image. An MBR counts in sectors but does not say how big
 * they are: a 4Kn disk's table read with 512-byte sectors points at the wrong bytes. A block
 * device reports its size (the caller asks the host); an image file is probed here: the size under
 * which the table is plausible and its partitions start with what partitions hold wins.
 */
import type { BlockDevice } from '@fstool/blockdev';
import { decodeMbr, hasBootSignature } from './codec.js';
import { looksLikeBootSector, looksLikeMbr } from './probe.js';
import { EXTENDED_TYPES } from './types.js';

/** Sector sizes tried, the usual one first (it wins ties). */
const CANDIDATES = [512, 4096] as const;
/** Bytes read at a partition's start: enough for the ext superblock magic and a swap page's tail. */
const HEAD = 4096;

const ascii = (b: Uint8Array, at: number, s: string) => [...s].every((c, i) => b[at + i] === c.charCodeAt(0));

/** True when `head` (a partition's first bytes) starts like an EBR or something a partition holds. */
function startsLikeContent(head: Uint8Array, extended: boolean): boolean {
  if (extended) return hasBootSignature(head);
  return (
    (head[1080] === 0x53 && head[1081] === 0xef) || // ext2/3/4 superblock magic
    looksLikeBootSector(head) || // FAT, exFAT, NTFS
    ascii(head, 4086, 'SWAPSPACE2') ||
    ascii(head, 0, 'LUKS\xba\xbe') ||
    ascii(head, 0, 'XFSB')
  );
}

/**
 * 512 or 4096: the sector size an MBR image was written with. Only one size can be right when a
 * partition ends past the disk under the other; otherwise the size whose partitions begin with
 * recognisable content (a filesystem, swap, LUKS, an EBR) more often wins, 512 on a tie.
 */
export async function probeMbrSectorSize(dev: BlockDevice): Promise<number> {
  if (dev.size < 512) return 512;
  const s0 = new Uint8Array(512);
  await dev.read(0, s0);
  let plausible = CANDIDATES.filter((ss) => looksLikeMbr(s0, dev.size, ss));
  // A truncated image: no size keeps every partition inside it, so content alone decides.
  if (plausible.length === 0)
    plausible = CANDIDATES.filter((ss) => looksLikeMbr(s0, dev.size, ss, { truncated: true }));
  if (plausible.length < 2) return plausible[0] ?? 512;
  const entries = decodeMbr(s0).entries;
  const score = async (ss: number) => {
    let hits = 0;
    for (const p of entries) {
      const at = p.firstLba * ss;
      if (at >= dev.size) continue;
      const head = new Uint8Array(Math.min(HEAD, dev.size - at));
      await dev.read(at, head);
      if (startsLikeContent(head, EXTENDED_TYPES.has(p.typeId))) hits++;
    }
    return hits;
  };
  const [small, large] = [await score(512), await score(4096)];
  return large > small ? 4096 : 512;
}
