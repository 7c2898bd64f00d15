/**
 * The on-disk codecs and checksum rules, checked against images made by the real mke2fs and the
 * values dumpe2fs/debugfs report for them.
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { haveTools, mustRun, tempDir } from '@fstool/testkit/node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  bitmapChecksum,
  crc32c,
  dirLeafChecksum,
  extentBlockChecksum,
  fsChecksumSeed,
  groupDescChecksumCrc16,
  groupDescChecksumCrc32c,
  inodeChecksum,
  inodeChecksumSeed,
  journalSuperblockChecksum,
  superblockChecksum,
  xattrBlockChecksum,
} from '../src/checksum.js';
import { DIR_TAIL_FT, dirEntry, dirTail } from '../src/format/dirent.js';
import { EXT4_EXT_MAGIC, extentHeader, extentLeaf } from '../src/format/extent.js';
import { groupDescCodec } from '../src/format/group-desc.js';
import { nameHash } from '../src/format/htree.js';
import {
  decodeDevice,
  decodeTime,
  encodeDevice,
  encodeTime,
  GOOD_OLD_INODE_SIZE,
  inodeBase,
  inodeExtra,
} from '../src/format/inode.js';
import { JBD2_MAGIC, journalSuperblock } from '../src/format/jbd2.js';
import { EXT4_SUPER_MAGIC, featureNames, HASH, SUPERBLOCK_OFFSET, superblock } from '../src/format/superblock.js';
import {
  XATTR_BLOCK_HEADER_SIZE,
  XATTR_IBODY_HEADER_SIZE,
  XATTR_MAGIC,
  xattrBlockHash,
  xattrBlockHeader,
  xattrEntry,
  xattrEntryHash,
  xattrEntrySize,
  xattrIbodyHeader,
} from '../src/format/xattr.js';

const UUID = '01234567-89ab-cdef-0123-456789abcdef';
const SEED = 'fedcba98-7654-3210-fedc-ba9876543210';
const uuidBytes = (u: string) => Uint8Array.from(Buffer.from(u.replaceAll('-', ''), 'hex'));

function dumpe2fsHeader(img: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const line of mustRun('dumpe2fs', ['-h', img]).split('\n')) {
    const m = /^([^:]+):\s*(.*)$/.exec(line);
    if (m) out.set(m[1] as string, (m[2] as string).trim());
  }
  return out;
}

describe('checksum primitives', () => {
  it('raw crc32c matches the standard check value once inverted', () => {
    expect(~crc32c(0xffffffff, new TextEncoder().encode('123456789')) >>> 0).toBe(0xe3069283);
  });
  it('times keep nanoseconds and epoch bits', () => {
    for (const s of [0, 1, -1, 2 ** 31 - 1, 2 ** 31, -(2 ** 31), 2 ** 32 + 5, 2 ** 34 - 2 ** 31 - 1]) {
      const e = encodeTime(s, 999_999_999);
      expect(decodeTime(e.time, e.extra)).toEqual({ seconds: s, nsec: 999_999_999 });
    }
  });
  it('device numbers use the old encoding when small, the new one otherwise', () => {
    expect(encodeDevice(8, 1)).toEqual([0x801, 0]);
    for (const [ma, mi] of [
      [8, 1],
      [259, 3],
      [4095, 1048575],
      [1, 300],
    ] as const) {
      const [b0, b1] = encodeDevice(ma, mi);
      expect(decodeDevice(b0, b1)).toEqual({ major: ma, minor: mi });
    }
  });
});

describe.skipIf(!haveTools('mke2fs', 'dumpe2fs', 'debugfs'))('codecs against mke2fs images', () => {
  const tmp = tempDir('fstool-ext-format-');
  const img = tmp.join('ext4.img');
  const img16 = tmp.join('gdtcsum.img');
  let image: Uint8Array;
  const big = 'x'.repeat(700);

  beforeAll(() => {
    const tree = tmp.join('tree');
    mkdirSync(`${tree}/d`, { recursive: true });
    writeFileSync(`${tree}/a.txt`, 'hello\n');
    for (let i = 0; i < 40; i++) writeFileSync(`${tree}/d/file_${i}`, `${i}\n`);
    const common = ['-q', '-F', '-b', '1024', '-U', UUID, '-E', `hash_seed=${SEED}`, '-d', tree];
    mustRun('mke2fs', [...common, '-t', 'ext4', img, '8M']);
    writeFileSync(tmp.join('big'), big);
    mustRun('debugfs', ['-w', '-R', 'ea_set /a.txt user.small tiny', img]);
    mustRun('debugfs', ['-w', '-R', `ea_set -f ${tmp.join('big')} /d/file_1 user.big`, img]);
    mustRun('mke2fs', [...common, '-t', 'ext4', '-O', '^metadata_csum,uninit_bg', img16, '8M']);
    image = readFileSync(img);
  });
  afterAll(() => tmp.cleanup());

  const sbOf = (buf: Uint8Array) => superblock.decode(buf, SUPERBLOCK_OFFSET);

  it('superblock fields match dumpe2fs and the checksum verifies', () => {
    const sb = sbOf(image);
    const h = dumpe2fsHeader(img);
    expect(sb.s_magic).toBe(EXT4_SUPER_MAGIC);
    expect(sb.s_inodes_count).toBe(Number(h.get('Inode count')));
    expect(sb.s_blocks_count).toBe(Number(h.get('Block count')));
    expect(sb.s_r_blocks_count).toBe(Number(h.get('Reserved block count')));
    expect(sb.s_free_blocks_count).toBe(Number(h.get('Free blocks')));
    expect(sb.s_free_inodes_count).toBe(Number(h.get('Free inodes')));
    expect(sb.s_reserved_gdt_blocks).toBe(Number(h.get('Reserved GDT blocks')));
    expect(sb.s_inodes_per_group).toBe(Number(h.get('Inodes per group')));
    expect(sb.s_desc_size).toBe(Number(h.get('Group descriptor size')));
    expect(2 ** sb.s_log_groups_per_flex).toBe(Number(h.get('Flex block group size')));
    expect(
      featureNames({
        compat: sb.s_feature_compat,
        incompat: sb.s_feature_incompat,
        roCompat: sb.s_feature_ro_compat,
      }).sort(),
    ).toEqual((h.get('Filesystem features') ?? '').split(' ').sort());
    expect(Buffer.from(sb.s_uuid).toString('hex')).toBe(UUID.replaceAll('-', ''));
    expect(Buffer.from(sb.s_hash_seed).toString('hex')).toBe(SEED.replaceAll('-', ''));
    expect(sb.s_checksum).toBe(Number(h.get('Checksum')));
    expect(superblockChecksum(image, SUPERBLOCK_OFFSET)).toBe(sb.s_checksum);
  });

  it('group descriptors: fields, crc32c checksums and bitmap checksums', () => {
    const sb = sbOf(image);
    const seed = fsChecksumSeed(sb.s_uuid);
    const codec = groupDescCodec(sb.s_desc_size);
    const gdt = image.slice(2048, 2048 + sb.s_desc_size);
    const gd = codec.decode(gdt);
    const dump = mustRun('dumpe2fs', [img]);
    const g0 =
      /Group 0: .*csum (0x[0-9a-f]+)[\s\S]*?Block bitmap at (\d+).*csum (0x[0-9a-f]+)\s+Inode bitmap at (\d+).*csum (0x[0-9a-f]+)\s+Inode table at (\d+)/.exec(
        dump,
      );
    expect(g0).not.toBeNull();
    const [, csum, bb, bbcsum, ib, ibcsum, it] = g0 as unknown as string[];
    expect(gd.bg_checksum).toBe(Number(csum));
    expect(gd.bg_block_bitmap).toBe(Number(bb));
    expect(gd.bg_inode_bitmap).toBe(Number(ib));
    expect(gd.bg_inode_table).toBe(Number(it));
    expect(gd.bg_block_bitmap_csum).toBe(Number(bbcsum));
    expect(gd.bg_inode_bitmap_csum).toBe(Number(ibcsum));
    codec.set(gdt, 0, 'bg_checksum', 0);
    expect(groupDescChecksumCrc32c(seed, 0, gdt)).toBe(gd.bg_checksum);
    const bitmap = (blk: number) => image.subarray(blk * 1024, blk * 1024 + 1024);
    expect(bitmapChecksum(seed, bitmap(gd.bg_block_bitmap), sb.s_clusters_per_group)).toBe(gd.bg_block_bitmap_csum);
    expect(bitmapChecksum(seed, bitmap(gd.bg_inode_bitmap), sb.s_inodes_per_group)).toBe(gd.bg_inode_bitmap_csum);
  });

  it('group descriptors with gdt_csum use crc16', () => {
    const buf = readFileSync(img16);
    const sb = sbOf(buf);
    const codec = groupDescCodec(sb.s_desc_size);
    const gdt = buf.slice(2048, 2048 + sb.s_desc_size);
    const stored = codec.get(gdt, 0, 'bg_checksum');
    expect(groupDescChecksumCrc16(sb.s_uuid, 0, gdt)).toBe(stored);
  });

  const inodeAt = (ino: number) => {
    const sb = sbOf(image);
    const gd = groupDescCodec(sb.s_desc_size).decode(image, 2048);
    const off = gd.bg_inode_table * 1024 + (ino - 1) * sb.s_inode_size;
    return image.slice(off, off + sb.s_inode_size);
  };
  const inodeSeedOf = (ino: number, raw: Uint8Array) =>
    inodeChecksumSeed(fsChecksumSeed(sbOf(image).s_uuid), ino, inodeBase.get(raw, 0, 'i_generation'));

  it('inodes decode and their checksums verify', () => {
    const stat = mustRun('debugfs', ['-R', 'stat /a.txt', img]);
    const ino = Number(/Inode: (\d+)/.exec(stat)?.[1]);
    const raw = inodeAt(ino);
    const base = inodeBase.decode(raw);
    const extra = inodeExtra.decode(raw, GOOD_OLD_INODE_SIZE);
    expect(base.i_mode).toBe(0o100644);
    expect(base.i_size).toBe(6);
    expect(extra.i_extra_isize).toBe(32);
    const stored = base.i_checksum_lo + extra.i_checksum_hi * 65536;
    expect(stored).toBe(Number(/Inode checksum: (0x[0-9a-f]+)/.exec(stat)?.[1]));
    inodeBase.set(raw, 0, 'i_checksum_lo', 0);
    inodeExtra.set(raw, GOOD_OLD_INODE_SIZE, 'i_checksum_hi', 0);
    expect(inodeChecksum(inodeSeedOf(ino, raw), raw, true)).toBe(stored);
    const hdr = extentHeader.decode(base.i_block);
    expect(hdr.eh_magic).toBe(EXT4_EXT_MAGIC);
    expect(hdr.eh_entries).toBe(1);
    const leaf = extentLeaf.decode(base.i_block, 12);
    expect(leaf.ee_len).toBe(1);
    expect(`(0):${leaf.ee_start}`).toBe(/EXTENTS:\n(\S+)/.exec(stat)?.[1]);
    expect(new TextDecoder().decode(image.subarray(leaf.ee_start * 1024, leaf.ee_start * 1024 + 6))).toBe('hello\n');
  });

  it('directory leaf blocks end in a checksum tail that verifies', () => {
    const raw = inodeAt(2);
    const leaf = extentLeaf.decode(inodeBase.decode(raw).i_block, 12);
    const block = image.slice(leaf.ee_start * 1024, leaf.ee_start * 1024 + 1024);
    const first = dirEntry.decode(block);
    expect(first.inode).toBe(2);
    expect(new TextDecoder().decode(block.subarray(8, 8 + first.name_len))).toBe('.');
    const tail = dirTail.decode(block, 1024 - 12);
    expect(tail.det_rec_len).toBe(12);
    expect(tail.det_reserved_ft).toBe(DIR_TAIL_FT);
    expect(dirLeafChecksum(inodeSeedOf(2, raw), block)).toBe(tail.det_checksum);
  });

  it('extent tree blocks: checksum rule over header + eh_max entries', () => {
    // A synthetic depth-0 block checksummed with the root inode's seed, round-tripped through the codecs.
    const raw = inodeAt(2);
    const block = new Uint8Array(1024);
    extentHeader.encode({ eh_magic: EXT4_EXT_MAGIC, eh_entries: 1, eh_max: 84, eh_depth: 0, eh_generation: 0 }, block);
    extentLeaf.encode({ ee_block: 0, ee_len: 5, ee_start: 2 ** 33 + 7 }, block, 12);
    expect(extentLeaf.decode(block, 12).ee_start).toBe(2 ** 33 + 7);
    const seed = inodeSeedOf(2, raw);
    expect(extentBlockChecksum(seed, block, 84)).toBe(crc32c(seed, block.subarray(0, 12 + 84 * 12)));
  });

  it('xattrs in the inode and in a block: entries, hashes and block checksum', () => {
    const ino = Number(/Inode: (\d+)/.exec(mustRun('debugfs', ['-R', 'stat /a.txt', img]))?.[1]);
    const raw = inodeAt(ino);
    const start = GOOD_OLD_INODE_SIZE + inodeExtra.get(raw, GOOD_OLD_INODE_SIZE, 'i_extra_isize');
    expect(xattrIbodyHeader.get(raw, start, 'h_magic')).toBe(XATTR_MAGIC);
    const entries = start + XATTR_IBODY_HEADER_SIZE;
    const e = xattrEntry.decode(raw, entries);
    const name = raw.slice(entries + 16, entries + 16 + e.e_name_len);
    expect(new TextDecoder().decode(name)).toBe('small');
    expect(e.e_name_index).toBe(1);
    const value = raw.slice(entries + e.e_value_offs, entries + e.e_value_offs + e.e_value_size);
    expect(new TextDecoder().decode(value)).toBe('tiny');
    if (e.e_hash !== 0) expect(xattrEntryHash(name, value)).toBe(e.e_hash);

    // The big value went to an xattr block.
    const stat = mustRun('debugfs', ['-R', 'stat /d/file_1', img]);
    const bigIno = Number(/Inode: (\d+)/.exec(stat)?.[1]);
    const bigRaw = inodeAt(bigIno);
    const blk = inodeBase.get(bigRaw, 0, 'i_file_acl');
    expect(blk).toBe(Number(/File ACL: (\d+)/.exec(stat)?.[1]));
    const block = image.slice(blk * 1024, blk * 1024 + 1024);
    const hdr = xattrBlockHeader.decode(block);
    expect(hdr.h_magic).toBe(XATTR_MAGIC);
    expect(hdr.h_refcount).toBe(1);
    const be = xattrEntry.decode(block, XATTR_BLOCK_HEADER_SIZE);
    const bname = block.slice(48, 48 + be.e_name_len);
    expect(new TextDecoder().decode(bname)).toBe('big');
    const bval = block.slice(be.e_value_offs, be.e_value_offs + be.e_value_size);
    expect(new TextDecoder().decode(bval)).toBe(big);
    expect(xattrEntryHash(bname, bval)).toBe(be.e_hash);
    expect(block[XATTR_BLOCK_HEADER_SIZE + xattrEntrySize(be.e_name_len)]).toBe(0);
    // e2fsprogs leaves h_hash 0 (allowed); the kernel stores the block hash.
    if (hdr.h_hash !== 0) expect(xattrBlockHash([be.e_hash])).toBe(hdr.h_hash);
    expect(xattrBlockHash([be.e_hash, 0])).toBe(0);
    xattrBlockHeader.set(block, 0, 'h_checksum', 0);
    expect(xattrBlockChecksum(fsChecksumSeed(sbOf(image).s_uuid), blk, block)).toBe(hdr.h_checksum);
  });

  it('the journal superblock decodes and its v3 checksum verifies', () => {
    const sb = sbOf(image);
    const jraw = inodeAt(sb.s_journal_inum);
    const leaf = extentLeaf.decode(inodeBase.decode(jraw).i_block, 12);
    const jsbBuf = image.slice(leaf.ee_start * 1024, leaf.ee_start * 1024 + 1024);
    const jsb = journalSuperblock.decode(jsbBuf);
    expect(jsb.h_magic).toBe(JBD2_MAGIC);
    expect(jsb.h_blocktype).toBe(4);
    expect(jsb.s_blocksize).toBe(1024);
    expect(jsb.s_maxlen).toBe(Number(dumpe2fsHeader(img).get('Total journal blocks')));
    expect(jsb.s_first).toBe(1);
    expect(jsb.s_start).toBe(0);
    if (jsb.s_checksum !== 0) {
      journalSuperblock.set(jsbBuf, 0, 's_checksum', 0);
      expect(journalSuperblockChecksum(jsbBuf)).toBe(jsb.s_checksum);
    }
  });

  it('htree hashes match debugfs dx_hash (signed and unsigned, every algorithm)', () => {
    const names = ['file_123', '.', 'a', 'ü_é_a_very_long_name_that_spans_more_than_thirty_two_bytes', 'x'.repeat(255)];
    const enc = new TextEncoder();
    for (const version of [HASH.legacy, HASH.half_md4, HASH.tea, 3, 4, 5]) {
      for (const name of names) {
        const out = mustRun('debugfs', ['-R', `dx_hash -h ${version} -s ${SEED} ${name}`, img]);
        const m = /is (0x[0-9a-f]+) \(minor (0x[0-9a-f]+)\)/.exec(out);
        const got = nameHash(enc.encode(name), version, uuidBytes(SEED));
        expect([version, name, got.hash, got.minor]).toEqual([version, name, Number(m?.[1]), Number(m?.[2])]);
      }
    }
  });
});
