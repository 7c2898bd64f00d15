/**
 * What one planned inode needs besides its table slot: i_block (extent root, block map, fast
 * symlink or device number), its flags, and the blocks it owns (directory blocks, mapping blocks,
 * a slow symlink's target, the journal superblock, the resize inode's blocks, its xattr block).
 */
import { type Entry, encodeName, typeBits } from '@fstool/fs';
import { inodeChecksumSeed } from '../checksum.js';
import { FT } from '../format/dirent.js';
import { I_BLOCK_SIZE, INODE_FLAGS } from '../format/inode.js';
import { hasFeature } from '../format/superblock.js';
import { hasSuperblock } from '../plan/geometry.js';
import type { Run } from '../plan/layout.js';
import type { BuildPlan, PlannedInode } from '../plan/plan.js';
import { type DirChild, directoryBlocks } from './dir.js';
import { deviceIblock, fastSymlinkIblock } from './inode.js';
import { journalSuperblockBlock } from './journal.js';
import { blockMapMapping, extentMapping, u32le } from './mapping.js';
import { xattrBlock } from './xattr.js';

export type InodeEntry = Pick<Entry, 'mode' | 'uid' | 'gid' | 'mtime'> & Partial<Entry>;

export interface InodeOut {
  entry: InodeEntry;
  typeBits: number;
  flags: number;
  iblock: Uint8Array;
  /** Inode checksum seed (metadata_csum), else undefined. */
  seed: number | undefined;
  /** Blocks to write. */
  blocks: Array<{ block: number; data: Uint8Array }>;
  /** Runs that must read as zeros (the journal body). */
  zeros: Run[];
}

const FILE_TYPE: Record<string, number> = {
  file: FT.file,
  dir: FT.dir,
  char: FT.char,
  block: FT.block,
  fifo: FT.fifo,
  socket: FT.socket,
  symlink: FT.symlink,
};

const LOST_FOUND = encodeName('lost+found');

export class InodeContents {
  /** The journal inode's i_block, i_size_high and i_size, for the superblock's s_jnl_blocks. */
  jnlBlocks = new Uint8Array(68);
  readonly #writtenXattr = new Set<number>();
  readonly #bs: number;
  readonly #extents: boolean;

  /** `inline`: the contents of inline-data files by inode number. */
  constructor(
    private readonly plan: BuildPlan,
    private readonly fsSeed: number | undefined,
    private readonly inline: ReadonlyMap<number, Uint8Array>,
  ) {
    this.#bs = plan.geo.blockSize;
    this.#extents = hasFeature(plan.geo.features, 'extent');
  }

  of(pi: PlannedInode): InodeOut {
    const { plan } = this;
    const node = pi.node !== undefined ? plan.summary.nodes[pi.node] : undefined;
    const entry: InodeEntry = node
      ? node.entry
      : { mode: pi.kind === 'dir' ? 0o700 : 0o600, uid: 0, gid: 0, mtime: plan.createdAt };
    const seed = this.fsSeed !== undefined ? inodeChecksumSeed(this.fsSeed, pi.ino, 0) : undefined;
    const out: InodeOut = {
      entry,
      typeBits: typeBits(pi.kind === 'journal' || pi.kind === 'resize' ? 'file' : pi.kind),
      flags: 0,
      iblock: new Uint8Array(I_BLOCK_SIZE),
      seed,
      blocks: [],
      zeros: [],
    };
    if (pi.kind === 'resize') this.#resize(pi, out);
    else if (pi.kind === 'symlink' && pi.extents.length === 0)
      out.iblock = fastSymlinkIblock(encodeName(entry.target ?? ''));
    else if (pi.inline) {
      out.iblock.set(this.inline.get(pi.ino) as Uint8Array);
      out.flags |= INODE_FLAGS.inline_data;
    } else if (pi.kind === 'char' || pi.kind === 'block')
      out.iblock = deviceIblock(entry.rdev?.major ?? 0, entry.rdev?.minor ?? 0);
    else if (pi.kind !== 'fifo' && pi.kind !== 'socket') {
      const m = this.#extents
        ? extentMapping(pi.extents, pi.mapBlocks, this.#bs, seed)
        : blockMapMapping(pi.extents, pi.mapBlocks, this.#bs);
      out.iblock = m.iblock;
      out.blocks.push(...m.blocks);
      if (this.#extents) out.flags |= INODE_FLAGS.extents;
      if (pi.kind === 'dir') this.#directory(pi, out);
      else if (pi.kind === 'symlink') {
        const block = new Uint8Array(this.#bs);
        block.set(encodeName(entry.target ?? ''));
        this.#logical(pi, [block], out);
      } else if (pi.kind === 'journal') this.#journal(pi, out);
    }
    const xb = pi.xattrBlock;
    // A shared xattr block is written once, by its first inode.
    if (xb && !this.#writtenXattr.has(xb.block)) {
      this.#writtenXattr.add(xb.block);
      out.blocks.push({ block: xb.block, data: xattrBlock(xb.items, xb.refcount, xb.block, this.#bs, this.fsSeed) });
    }
    return out;
  }

  /** A directory's or symlink's logical blocks at their physical places. */
  #logical(pi: PlannedInode, blocks: Uint8Array[], out: InodeOut): void {
    for (const x of pi.extents) {
      for (let k = 0; k < x.len; k++) {
        const data = blocks[x.logical + k];
        if (data) out.blocks.push({ block: x.start + k, data });
      }
    }
  }

  #directory(pi: PlannedInode, out: InodeOut): void {
    const { plan } = this;
    const nodes = plan.summary.nodes;
    const node = pi.node !== undefined ? nodes[pi.node] : undefined;
    if (pi.dir?.hashes) out.flags |= INODE_FLAGS.index;
    const parent = plan.inoOfNode[node ? node.parent : 0] as number;
    const children = node?.children ?? [];
    // Position children.length is the lost+found the writer adds to the root.
    const child = (i: number): DirChild => {
      if (i >= children.length) return { ino: plan.lostFoundIno, fileType: FT.dir, name: LOST_FOUND };
      const c = nodes[children[i] as number]!;
      const kind = c.linkOf !== undefined ? nodes[c.linkOf]!.entry.kind : c.entry.kind;
      return { ino: plan.inoOfNode[children[i] as number] as number, fileType: FILE_TYPE[kind] ?? 0, name: c.name };
    };
    const blocks = directoryBlocks(pi.dir!, pi.ino, parent, child, {
      blockSize: this.#bs,
      seed: out.seed,
      filetype: hasFeature(plan.geo.features, 'filetype'),
    });
    this.#logical(pi, blocks, out);
  }

  #journal(pi: PlannedInode, out: InodeOut): void {
    const geo = this.plan.geo;
    const first = (pi.extents[0] as Run).start;
    const jsb = journalSuperblockBlock({
      blockSize: this.#bs,
      blocks: geo.journalBlocks,
      uuid: this.plan.uuid,
      csum: this.fsSeed !== undefined,
      is64: hasFeature(geo.features, '64bit'),
    });
    out.blocks.push({ block: first, data: jsb });
    for (const x of pi.extents) {
      const skip = x.start === first ? 1 : 0;
      if (x.len > skip) out.zeros.push({ start: x.start + skip, len: x.len - skip });
    }
    this.jnlBlocks.set(out.iblock);
    this.jnlBlocks.set(u32le(Uint32Array.of(Math.floor(pi.size / 2 ** 32), pi.size % 2 ** 32)), 60);
  }

  /**
   * The resize inode: i_block's double-indirect pointer to a block listing the primary reserved
   * GDT blocks, each of which lists where its backups are in the groups holding superblocks.
   */
  #resize(pi: PlannedInode, out: InodeOut): void {
    const geo = this.plan.geo;
    const dind = pi.mapBlocks[0] as number;
    const words = new Uint32Array(15);
    words[13] = dind;
    out.iblock = u32le(words);
    const apb = geo.blockSize / 4;
    const dindPtrs = new Uint32Array(apb);
    const backups: number[] = [];
    for (let g = 1; g < geo.groups; g++) if (hasSuperblock(geo, g)) backups.push(g);
    for (let r = 0; r < geo.reservedGdtBlocks; r++) {
      const primary = geo.firstDataBlock + 1 + geo.descBlocks + r;
      dindPtrs[(geo.descBlocks + r) % apb] = primary;
      const ptrs = new Uint32Array(apb);
      backups.forEach((g, i) => {
        ptrs[i] = primary + g * geo.blocksPerGroup;
      });
      out.blocks.push({ block: primary, data: u32le(ptrs) });
    }
    out.blocks.push({ block: dind, data: u32le(dindPtrs) });
  }
}
