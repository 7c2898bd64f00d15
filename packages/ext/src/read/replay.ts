/**
 * Reading after a crash: transactions that reached their commit block in the internal JBD2
 * journal but were never checkpointed are replayed in memory, as the kernel replays them on
 * mount, so reads see the committed (new) metadata and data. The image itself is never written:
 * the replayed blocks are served over the device's own by a read-only overlay.
 *
 * The walk follows the JBD2 recovery rules: from s_start with s_sequence, block after block
 * (wrapping from s_maxlen back to s_first) while each header carries the JBD2 magic and the
 * expected sequence; a transaction counts once its commit block is found; a block revoked in
 * transaction T is not replayed from T or any earlier transaction; later copies win.
 */
import { type BlockDevice, ReadOnlyError } from '@fstool/blockdev';
import {
  JBD2_BLOCKTYPE,
  JBD2_FEATURE_INCOMPAT,
  JBD2_FLAG,
  JBD2_MAGIC,
  JBD2_TAIL_SIZE,
  journalBlockTag,
  journalBlockTag3,
  journalHeader,
  journalSuperblock,
} from '../format/jbd2.js';
import { COMPAT, INCOMPAT } from '../format/superblock.js';
import { readInode } from './inode.js';
import { fileMap, findRun } from './mapping.js';
import { type OpenOptions, Volume } from './volume.js';

/** A journal copy of a filesystem block: where it is on the device, and whether its magic was escaped. */
interface Copy {
  at: number;
  escaped: boolean;
}

export interface Replay {
  dev: BlockDevice;
  transactions: number;
  blocks: number;
}

const UUID_SIZE = 16;
/** r_count: bytes of the revoke block in use, header included. */
const REVOKE_COUNT_AT = 12;
const REVOKE_RECORDS_AT = 16;

/**
 * The committed, unreplayed transactions of `dev`'s internal journal as an overlay device, or
 * undefined when there is nothing to replay (no journal, no recovery flag, an empty journal).
 */
export async function replayJournal(dev: BlockDevice, opts: OpenOptions): Promise<Replay | undefined> {
  const vol = await Volume.open(dev, { ...opts, writable: false });
  const ino = vol.sb.s_journal_inum;
  if (!vol.hasIncompat(INCOMPAT.needs_recovery) || !vol.hasCompat(COMPAT.has_journal) || ino === 0) return undefined;
  const bs = vol.blockSize;
  const { runs } = await fileMap(vol, await readInode(vol, ino));
  /** Device offset of journal block `lb`, or undefined when the journal does not map it. */
  const offsetOf = (lb: number): number | undefined => {
    const r = runs[findRun(runs, lb)];
    return r && lb < r.logical + r.length ? (r.physical + lb - r.logical) * bs : undefined;
  };
  const read = async (lb: number): Promise<Uint8Array | undefined> => {
    const at = offsetOf(lb);
    if (at === undefined) return undefined;
    const buf = new Uint8Array(bs);
    await dev.read(at, buf);
    return buf;
  };
  const jsb = await read(0);
  if (!jsb) return undefined;
  const j = journalSuperblock.decode(jsb);
  if (j.h_magic !== JBD2_MAGIC || j.s_blocksize !== bs || j.s_start === 0) return undefined;
  if (j.s_first < 1 || j.s_start < j.s_first || j.s_start >= j.s_maxlen) return undefined;
  const v3 = (j.s_feature_incompat & JBD2_FEATURE_INCOMPAT.csum_v3) !== 0;
  const csum = v3 || (j.s_feature_incompat & JBD2_FEATURE_INCOMPAT.csum_v2) !== 0;
  const is64 = (j.s_feature_incompat & JBD2_FEATURE_INCOMPAT['64bit']) !== 0;
  const tagSize = v3 ? 16 : is64 ? 12 : 8;
  const next = (lb: number) => (lb + 1 >= j.s_maxlen ? j.s_first : lb + 1);

  const committed: Array<{ seq: number; copies: Array<[number, Copy]>; revoked: number[] }> = [];
  let lb = j.s_start;
  let seq = j.s_sequence;
  let copies: Array<[number, Copy]> = [];
  let revoked: number[] = [];
  // Every journal block is visited at most once: a bound against a log that loops.
  for (let visited = 0; visited < j.s_maxlen; visited++) {
    const block = await read(lb);
    if (!block) break;
    const h = journalHeader.decode(block);
    if (h.h_magic !== JBD2_MAGIC || h.h_sequence !== seq) break;
    if (h.h_blocktype === JBD2_BLOCKTYPE.descriptor) {
      const end = bs - (csum ? JBD2_TAIL_SIZE : 0);
      let at = journalHeader.size;
      lb = next(lb);
      while (at + tagSize <= end) {
        const target = v3
          ? journalBlockTag3.get(block, at, 't_blocknr') +
            (is64 ? journalBlockTag3.get(block, at, 't_blocknr_high') * 2 ** 32 : 0)
          : journalBlockTag.get(block, at, 't_blocknr') +
            (is64 ? journalBlockTag.get(block, at, 't_blocknr_high') * 2 ** 32 : 0);
        const flags = v3 ? journalBlockTag3.get(block, at, 't_flags') : journalBlockTag.get(block, at, 't_flags');
        const where = offsetOf(lb);
        if (where === undefined) break;
        copies.push([target, { at: where, escaped: (flags & JBD2_FLAG.escape) !== 0 }]);
        lb = next(lb);
        at += tagSize + ((flags & JBD2_FLAG.same_uuid) === 0 ? UUID_SIZE : 0);
        if ((flags & JBD2_FLAG.last_tag) !== 0) break;
      }
    } else if (h.h_blocktype === JBD2_BLOCKTYPE.revoke) {
      const dv = new DataView(block.buffer, block.byteOffset, bs);
      const used = Math.min(dv.getUint32(REVOKE_COUNT_AT), bs);
      const size = is64 ? 8 : 4;
      for (let at = REVOKE_RECORDS_AT; at + size <= used; at += size) {
        revoked.push(is64 ? Number(dv.getBigUint64(at)) : dv.getUint32(at));
      }
      lb = next(lb);
    } else if (h.h_blocktype === JBD2_BLOCKTYPE.commit) {
      committed.push({ seq, copies, revoked });
      copies = [];
      revoked = [];
      seq = (seq + 1) >>> 0;
      lb = next(lb);
    } else break;
  }
  if (committed.length === 0) return undefined;

  // A revoke in transaction T cancels the copies of that block in T and every earlier transaction.
  const revokedUpTo = new Map<number, number>();
  committed.forEach((tx, i) => {
    for (const b of tx.revoked) revokedUpTo.set(b, i);
  });
  const overlay = new Map<number, Copy>();
  committed.forEach((tx, i) => {
    for (const [target, copy] of tx.copies) {
      if ((revokedUpTo.get(target) ?? -1) < i) overlay.set(target, copy);
    }
  });
  return { dev: new ReplayDevice(dev, bs, overlay), transactions: committed.length, blocks: overlay.size };
}

/** `dev` with some blocks read from their journal copies instead; never written. */
class ReplayDevice implements BlockDevice {
  readonly readOnly = true;

  constructor(
    private readonly dev: BlockDevice,
    private readonly blockSize: number,
    private readonly overlay: ReadonlyMap<number, Copy>,
  ) {}

  get size(): number {
    return this.dev.size;
  }

  async read(offset: number, into: Uint8Array): Promise<void> {
    await this.dev.read(offset, into);
    const bs = this.blockSize;
    const end = offset + into.length;
    for (let b = Math.floor(offset / bs); b * bs < end; b++) {
      const copy = this.overlay.get(b);
      if (!copy) continue;
      const block = new Uint8Array(bs);
      await this.dev.read(copy.at, block);
      // An escaped copy had its leading JBD2 magic zeroed in the journal.
      if (copy.escaped) new DataView(block.buffer).setUint32(0, JBD2_MAGIC);
      const from = Math.max(offset, b * bs);
      const to = Math.min(end, (b + 1) * bs);
      into.set(block.subarray(from - b * bs, to - b * bs), from - offset);
    }
  }

  async write(): Promise<void> {
    throw new ReadOnlyError('journal replay view');
  }

  async zero(): Promise<void> {
    throw new ReadOnlyError('journal replay view');
  }

  async flush(): Promise<void> {}

  close(): Promise<void> {
    return this.dev.close();
  }
}
