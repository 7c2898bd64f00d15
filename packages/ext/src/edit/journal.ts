/**
 * Writing the editor's metadata through the filesystem's internal JBD2 journal, one transaction
 * at a time, the way the kernel's jbd2 would leave it on disk:
 *
 *   1. the superblock on disk gets INCOMPAT_RECOVER (else a mount wipes the journal unreplayed);
 *   2. the journal superblock points at the transaction (s_start, s_sequence);
 *   3. descriptor block(s) with one tag per block, then the blocks (escaped when they begin with
 *      the JBD2 magic), csum_v2/v3 checksums in the tags and the descriptor tail;
 *   4. the commit block — from here on a replay reproduces the whole transaction;
 *   5. checkpoint: every block written in place;
 * with a device flush between 3 and 4, 4 and 5, 5 and 6 (the write barriers jbd2 uses).
 *   6. the journal is marked empty (s_start = 0, next sequence), then RECOVER is cleared.
 *
 * A cut before 4 leaves the old metadata (plus a RECOVER flag over an empty or uncommitted
 * journal); after 4 a replay (e2fsck, mount) finishes the transaction.
 */
import { type BlockDevice, CorruptError, settleAll } from '@fstool/blockdev';
import { crc32c, journalSuperblockChecksum, superblockChecksum } from '../checksum.js';
import {
  JBD2_BLOCKTYPE,
  JBD2_FEATURE_INCOMPAT,
  JBD2_FLAG,
  JBD2_MAGIC,
  JBD2_TAIL_SIZE,
  journalBlockTag,
  journalBlockTag3,
  journalCommit,
  journalHeader,
  journalSuperblock,
} from '../format/jbd2.js';
import { COMPAT, INCOMPAT, SUPERBLOCK_OFFSET, superblock } from '../format/superblock.js';
import { readInode } from '../read/inode.js';
import { fileMap, findRun, type Run } from '../read/mapping.js';
import type { Volume } from '../read/volume.js';

/** Journal features this writer produces transactions for. */
const KNOWN_INCOMPAT =
  JBD2_FEATURE_INCOMPAT.revoke |
  JBD2_FEATURE_INCOMPAT['64bit'] |
  JBD2_FEATURE_INCOMPAT.csum_v2 |
  JBD2_FEATURE_INCOMPAT.csum_v3;

/** Most filesystem blocks held for one transaction (bounds memory on big journals). */
const MAX_TX_BLOCKS = 4096;

const UUID_SIZE = 16;

export class JournalLog {
  /** Most filesystem blocks one transaction can carry. */
  readonly capacity: number;
  private readonly csum: boolean;
  private readonly v3: boolean;
  private readonly tagSize: number;
  private readonly seed: number;
  private sequence: number;

  private constructor(
    private readonly vol: Volume,
    private readonly dev: BlockDevice,
    private readonly runs: Run[],
    private readonly jsb: Uint8Array,
  ) {
    const incompat = journalSuperblock.get(jsb, 0, 's_feature_incompat');
    this.v3 = (incompat & JBD2_FEATURE_INCOMPAT.csum_v3) !== 0;
    this.csum = this.v3 || (incompat & JBD2_FEATURE_INCOMPAT.csum_v2) !== 0;
    this.tagSize = this.v3 ? 16 : (incompat & JBD2_FEATURE_INCOMPAT['64bit']) !== 0 ? 12 : 8;
    this.seed = crc32c(0xffffffff, journalSuperblock.get(jsb, 0, 's_uuid'));
    this.sequence = journalSuperblock.get(jsb, 0, 's_sequence');
    const area = journalSuperblock.get(jsb, 0, 's_maxlen') - journalSuperblock.get(jsb, 0, 's_first');
    const perDesc = this.tagsPerDescriptor();
    // Every perDesc blocks cost one descriptor; one commit block closes the transaction.
    this.capacity = Math.min(MAX_TX_BLOCKS, Math.floor(((area - 1) * perDesc) / (perDesc + 1)) - 1);
  }

  /**
   * The volume's internal journal, or undefined (with a warning where it matters) when there is
   * none this writer can use; `dev` is the device under any buffering.
   */
  static async open(vol: Volume, dev: BlockDevice): Promise<JournalLog | undefined> {
    if (!vol.hasCompat(COMPAT.has_journal)) return undefined;
    const ino = vol.sb.s_journal_inum;
    if (ino === 0) {
      vol.warn('the journal is external: edits are written without it');
      return undefined;
    }
    const inode = await readInode(vol, ino);
    const { runs } = await fileMap(vol, inode);
    const start = runs[0]?.logical === 0 ? runs[0].physical : undefined;
    if (start === undefined) throw new CorruptError(`ext: journal inode ${ino} has no block 0`);
    const jsb = new Uint8Array(vol.blockSize);
    await dev.read(start * vol.blockSize, jsb);
    const j = journalSuperblock.decode(jsb);
    const where = `ext: journal superblock (inode ${ino})`;
    if (j.h_magic !== JBD2_MAGIC || j.h_blocktype !== JBD2_BLOCKTYPE.superblock_v2) {
      vol.warn(`${where} is not a JBD2 v2 superblock: edits are written without the journal`);
      return undefined;
    }
    if (j.s_blocksize !== vol.blockSize || j.s_first < 1 || j.s_maxlen <= j.s_first + 8) {
      throw new CorruptError(`${where}: block size ${j.s_blocksize}, first ${j.s_first}, length ${j.s_maxlen}`);
    }
    const mapped = runs.reduce((n, r) => n + r.length, 0);
    if (mapped < j.s_maxlen) throw new CorruptError(`${where}: ${j.s_maxlen} blocks long, ${mapped} mapped`);
    if (j.s_start !== 0) throw new CorruptError(`${where}: the journal holds transactions to replay`);
    if ((j.s_feature_incompat & ~KNOWN_INCOMPAT) !== 0) {
      vol.warn(`journal features 0x${j.s_feature_incompat.toString(16)}: edits are written without the journal`);
      return undefined;
    }
    return new JournalLog(vol, dev, runs, jsb);
  }

  /**
   * Journals `blocks` (filesystem block → contents) as one transaction, checkpoints them and
   * empties the journal again. `now` stamps the commit block.
   */
  async commit(blocks: ReadonlyMap<number, Uint8Array>, now: number): Promise<void> {
    if (blocks.size === 0) return;
    if (blocks.size > this.capacity) {
      throw new CorruptError(`ext: a transaction of ${blocks.size} blocks exceeds the journal (${this.capacity})`);
    }
    const bs = this.vol.blockSize;
    const tid = this.sequence;
    const sbBlock = Math.floor(SUPERBLOCK_OFFSET / bs);
    const sbAt = SUPERBLOCK_OFFSET % bs;
    const staged = blocks.get(sbBlock);
    if (staged) this.setRecover(staged.subarray(sbAt, sbAt + 1024), true);

    await this.writeSuperblockFlag(true);
    const first = journalSuperblock.get(this.jsb, 0, 's_first');
    await this.writeJournalSuperblock(first, tid);

    // Descriptor blocks and journal copies, laid out from s_first on.
    const log: Uint8Array[] = [];
    const targets = [...blocks.keys()].sort((a, b) => a - b);
    const perDesc = this.tagsPerDescriptor();
    for (let i = 0; i < targets.length; i += perDesc) {
      const chunk = targets.slice(i, i + perDesc);
      const desc = new Uint8Array(bs);
      journalHeader.patch({ h_magic: JBD2_MAGIC, h_blocktype: JBD2_BLOCKTYPE.descriptor, h_sequence: tid }, desc);
      log.push(desc);
      let at = journalHeader.size;
      chunk.forEach((target, k) => {
        const copy = (blocks.get(target) as Uint8Array).slice();
        let flags = k === 0 ? 0 : JBD2_FLAG.same_uuid;
        if (k === chunk.length - 1) flags |= JBD2_FLAG.last_tag;
        if (journalHeader.get(copy, 0, 'h_magic') === JBD2_MAGIC) {
          copy.fill(0, 0, 4);
          flags |= JBD2_FLAG.escape;
        }
        const c = this.csum ? crc32c(crc32cU32BE(this.seed, tid), copy) : 0;
        const high = Math.floor(target / 2 ** 32);
        if (this.v3) {
          journalBlockTag3.patch(
            { t_blocknr: target >>> 0, t_flags: flags, t_blocknr_high: high, t_checksum: c },
            desc,
            at,
          );
        } else {
          journalBlockTag.set(desc, at, 't_blocknr', target >>> 0);
          journalBlockTag.set(desc, at, 't_checksum', c & 0xffff);
          journalBlockTag.set(desc, at, 't_flags', flags);
          if (this.tagSize === 12) journalBlockTag.set(desc, at, 't_blocknr_high', high);
        }
        at += this.tagSize;
        if (k === 0) {
          desc.set(journalSuperblock.get(this.jsb, 0, 's_uuid'), at);
          at += UUID_SIZE;
        }
        log.push(copy);
      });
      if (this.csum) {
        const dv = new DataView(desc.buffer, desc.byteOffset, bs);
        dv.setUint32(bs - JBD2_TAIL_SIZE, crc32c(this.seed, desc));
      }
    }
    await this.writeLog(first, log);
    // Barriers, as jbd2 issues them: data and log before the commit block, the commit block
    // before the checkpoint, the checkpoint before the journal is marked empty.
    await this.dev.flush();

    const commit = new Uint8Array(bs);
    journalCommit.patch(
      {
        h_magic: JBD2_MAGIC,
        h_blocktype: JBD2_BLOCKTYPE.commit,
        h_sequence: tid,
        h_commit_sec: Math.max(0, Math.floor(now)),
      },
      commit,
    );
    if (this.csum) journalCommit.set(commit, 0, 'h_chksum0', crc32c(this.seed, commit));
    await this.writeLog(first + log.length, [commit]);
    await this.dev.flush();

    // Checkpoint: contiguous blocks in one write each, all at once (the log holds every one of
    // them, so they may land in any order before the barrier).
    const writes: Promise<void>[] = [];
    for (let i = 0; i < targets.length; ) {
      let j = i + 1;
      while (j < targets.length && (targets[j] as number) === (targets[j - 1] as number) + 1) j++;
      const run = new Uint8Array((j - i) * bs);
      for (let k = i; k < j; k++) run.set(blocks.get(targets[k] as number) as Uint8Array, (k - i) * bs);
      writes.push(this.dev.write((targets[i] as number) * bs, run));
      i = j;
    }
    await settleAll(writes);
    await this.dev.flush();
    this.sequence = (tid + 1) >>> 0;
    await this.writeJournalSuperblock(0, this.sequence);
    await this.writeSuperblockFlag(false);
  }

  private tagsPerDescriptor(): number {
    const room = this.vol.blockSize - journalHeader.size - (this.csum ? JBD2_TAIL_SIZE : 0) - UUID_SIZE;
    return Math.floor(room / this.tagSize);
  }

  /**
   * Writes journal blocks from logical block `at` on, one device write per contiguous stretch,
   * all at once (a barrier follows).
   */
  private async writeLog(at: number, blocks: Uint8Array[]): Promise<void> {
    const bs = this.vol.blockSize;
    const writes: Promise<void>[] = [];
    for (let i = 0; i < blocks.length; ) {
      const phys = this.physical(at + i);
      let j = i + 1;
      while (j < blocks.length && this.physical(at + j) === phys + (j - i)) j++;
      const buf = new Uint8Array((j - i) * bs);
      for (let k = i; k < j; k++) buf.set(blocks[k] as Uint8Array, (k - i) * bs);
      writes.push(this.dev.write(phys * bs, buf));
      i = j;
    }
    await settleAll(writes);
  }

  private physical(lb: number): number {
    const r = this.runs[findRun(this.runs, lb)];
    if (!r || lb < r.logical || lb >= r.logical + r.length) {
      throw new CorruptError(`ext: journal block ${lb} is not mapped`);
    }
    return r.physical + (lb - r.logical);
  }

  private async writeJournalSuperblock(start: number, sequence: number): Promise<void> {
    journalSuperblock.patch({ s_start: start, s_sequence: sequence }, this.jsb);
    if (this.csum) {
      journalSuperblock.set(this.jsb, 0, 's_checksum', 0);
      journalSuperblock.set(this.jsb, 0, 's_checksum', journalSuperblockChecksum(this.jsb));
    }
    await this.dev.write(this.physical(0) * this.vol.blockSize, this.jsb.subarray(0, 1024));
  }

  /** Sets or clears INCOMPAT_RECOVER in the superblock as it is on disk now. */
  private async writeSuperblockFlag(on: boolean): Promise<void> {
    const raw = new Uint8Array(1024);
    await this.dev.read(SUPERBLOCK_OFFSET, raw);
    this.setRecover(raw, on);
    await this.dev.write(SUPERBLOCK_OFFSET, raw);
  }

  private setRecover(raw: Uint8Array, on: boolean): void {
    const incompat = superblock.get(raw, 0, 's_feature_incompat');
    const next = on ? incompat | INCOMPAT.needs_recovery : incompat & ~INCOMPAT.needs_recovery;
    superblock.set(raw, 0, 's_feature_incompat', next >>> 0);
    if (this.vol.metadataCsum) superblock.set(raw, 0, 's_checksum', superblockChecksum(raw));
  }
}

/** crc32c over a big-endian 32-bit word (the transaction id as jbd2 hashes it). */
function crc32cU32BE(seed: number, value: number): number {
  const b = new Uint8Array(4);
  new DataView(b.buffer).setUint32(0, value);
  return crc32c(seed, b);
}
