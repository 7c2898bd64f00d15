import { CorruptError, FsError, MemoryDevice } from '@fstool/blockdev';
import { describe, expect, it } from 'vitest';
import {
  buildMbr,
  encodeMbr,
  lbaToChs,
  listMbrPartitions,
  looksLikeMbr,
  markTruncated,
  PartitionTableError,
  PartitionTypeError,
  readMbr,
  resolveMbrType,
  TruncatedPartitionError,
  writeMbr,
} from '../src/index.js';

const MiB = 2 ** 20;

describe('CHS', () => {
  it('matches fdisk (255 heads, 63 sectors)', () => {
    expect([...lbaToChs(2048)]).toEqual([0x20, 0x21, 0x00]);
    expect([...lbaToChs(22527)]).toEqual([0x66, 0x25, 0x01]);
  });
  it('saturates at FE FF FF past cylinder 1023', () => {
    expect([...lbaToChs(1024 * 255 * 63)]).toEqual([0xfe, 0xff, 0xff]);
    expect([...lbaToChs(2 ** 32 - 1)]).toEqual([0xfe, 0xff, 0xff]);
  });
});

describe('type aliases', () => {
  it('resolves aliases, hex and numbers', () => {
    expect(resolveMbrType('linux')).toBe(0x83);
    expect(resolveMbrType('fat32')).toBe(0x0c);
    expect(resolveMbrType('ESP')).toBe(0xef);
    expect(resolveMbrType('basic-data')).toBe(0x07);
    expect(resolveMbrType('0x8e')).toBe(0x8e);
    expect(resolveMbrType(0xfd)).toBe(0xfd);
  });
  it('rejects GPT-only aliases and junk', () => {
    expect(() => resolveMbrType('bios-boot')).toThrow(PartitionTypeError);
    expect(() => resolveMbrType(256)).toThrow(PartitionTypeError);
    expect(() => resolveMbrType('0x123')).toThrow(PartitionTypeError);
  });
});

describe('round trip', () => {
  it('writes and reads primaries, extended and logicals', async () => {
    const dev = new MemoryDevice(64 * MiB);
    await writeMbr(dev, {
      diskSignature: 0xdeadbeef,
      partitions: [
        { type: 'fat32', bootable: true, firstLba: 2048, sectors: 8192 },
        { type: 'extended', firstLba: 10240, sectors: 40960 },
        { logical: true, type: 'linux', firstLba: 12288, sectors: 4096 },
        { logical: true, type: 'swap', firstLba: 18432, sectors: 4096 },
        { index: 4, type: 'linux', firstLba: 53248, sectors: 2048 },
      ],
    });
    const t = await readMbr(dev);
    expect(t.diskSignature).toBe(0xdeadbeef);
    expect(listMbrPartitions(t)).toEqual([
      { index: 1, start: MiB, size: 4 * MiB, type: 'fat32', typeId: 0x0c, kind: 'primary', bootable: true },
      { index: 2, start: 5 * MiB, size: 20 * MiB, type: 'extended', typeId: 0x0f, kind: 'extended', bootable: false },
      { index: 4, start: 26 * MiB, size: MiB, type: 'linux', typeId: 0x83, kind: 'primary', bootable: false },
      { index: 5, start: 6 * MiB, size: 2 * MiB, type: 'linux', typeId: 0x83, kind: 'logical', bootable: false },
      { index: 6, start: 9 * MiB, size: 2 * MiB, type: 'swap', typeId: 0x82, kind: 'logical', bootable: false },
    ]);
  });

  it('places EBRs as sfdisk does', () => {
    const t = buildMbr(
      {
        partitions: [
          { type: 'extended', firstLba: 2048, sectors: 20000 },
          { logical: true, type: 'linux', firstLba: 4096, sectors: 1000 },
          { logical: true, type: 'linux', firstLba: 8192, sectors: 1000 },
        ],
      },
      32 * MiB,
    );
    expect(encodeMbr(t).map((s) => s.lba)).toEqual([0, 2048, 5096]);
  });
});

describe('validation', () => {
  const disk = 64 * MiB;
  const bad = (partitions: Parameters<typeof buildMbr>[0]['partitions'], msg: RegExp) =>
    expect(() => buildMbr({ partitions }, disk)).toThrow(msg);
  it('rejects overlaps, past end, > 4 primaries, orphan logicals, > 2 TiB', () => {
    bad(
      [
        { type: 'linux', firstLba: 2048, sectors: 4096 },
        { type: 'linux', firstLba: 4096, sectors: 4096 },
      ],
      /overlap by 2048 sector/,
    );
    bad([{ type: 'linux', firstLba: 2048, sectors: 2 ** 17 }], /ends 1 MiB past the end/);
    bad(
      [1, 2, 3, 4, 5].map((i) => ({ type: 'linux', firstLba: i * 2048, sectors: 2048 })),
      /more than 4 primary/,
    );
    bad([{ logical: true, type: 'linux', firstLba: 4096, sectors: 2048 }], /no extended partition/);
    expect(() => buildMbr({ partitions: [{ type: 'linux', firstLba: 2048, sectors: 2 ** 32 }] }, 4 * 2 ** 40)).toThrow(
      /2\^32-sector limit/,
    );
    bad(
      [
        { type: 'extended', firstLba: 2048, sectors: 8192 },
        { logical: true, type: 'linux', firstLba: 2048, sectors: 100 },
      ],
      /no sector before it/,
    );
    bad([{ type: 'bios-boot', firstLba: 2048, sectors: 100 }], /not an MBR partition type/);
  });
  it('errors are FsErrors', () => {
    expect(() => buildMbr({ partitions: [{ type: 'linux', firstLba: 0, sectors: 1 }] }, disk)).toThrow(
      PartitionTableError,
    );
  });
});

describe('garbage', () => {
  it('gives typed errors for random bytes, loops and truncated disks', async () => {
    let seed = 1;
    const rnd = () => {
      seed = (seed * 1103515245 + 12345) >>> 0;
      return seed >>> 24;
    };
    for (let round = 0; round < 200; round++) {
      const buf = new Uint8Array(64 * 1024).map(rnd);
      buf[510] = 0x55;
      buf[511] = 0xaa;
      try {
        await readMbr(new MemoryDevice(buf));
      } catch (e) {
        expect(e).toBeInstanceOf(FsError);
      }
    }
    await expect(readMbr(new MemoryDevice(100))).rejects.toBeInstanceOf(CorruptError);
    await expect(readMbr(new MemoryDevice(4096))).rejects.toThrow(/0x55AA/);
    // A table cut short: the extended partition's first EBR lies past the end of the image.
    const full = new MemoryDevice(8 * MiB);
    await writeMbr(full, {
      partitions: [
        { type: 'extended', firstLba: 8192, sectors: 8192 },
        { logical: true, type: 'linux', firstLba: 10240, sectors: 100 },
      ],
    });
    const cut = new MemoryDevice(full.bytes().slice(0, 2 * MiB));
    await expect(readMbr(cut)).rejects.toThrow(/EBR at sector 8192 is past the end of the disk/);
    // The second EBR (right after the first logical, at sector 4196) linking to itself.
    const dev = new MemoryDevice(8 * MiB);
    await writeMbr(dev, {
      partitions: [
        { type: 'extended', firstLba: 2048, sectors: 8192 },
        { logical: true, type: 'linux', firstLba: 4096, sectors: 100 },
        { logical: true, type: 'linux', firstLba: 6144, sectors: 100 },
      ],
    });
    const ebr2 = new Uint8Array(512);
    await dev.read(4196 * 512, ebr2);
    ebr2.set([0x05], 446 + 16 + 4);
    new DataView(ebr2.buffer).setUint32(446 + 16 + 8, 4196 - 2048, true);
    new DataView(ebr2.buffer).setUint32(446 + 16 + 12, 100, true);
    await dev.write(4196 * 512, ebr2);
    await expect(readMbr(dev)).rejects.toThrow(/loops back to sector 4196/);
    await expect(readMbr(dev)).rejects.toBeInstanceOf(CorruptError);
  });
});

describe('probe', () => {
  it('accepts a real table and rejects a FAT boot sector', async () => {
    const dev = new MemoryDevice(8 * MiB);
    await writeMbr(dev, { partitions: [{ type: 'linux', firstLba: 2048, sectors: 2048 }] });
    const s = new Uint8Array(512);
    await dev.read(0, s);
    expect(looksLikeMbr(s, dev.size)).toBe(true);
    const fat = new Uint8Array(512);
    fat.set([0xeb, 0x3c, 0x90], 0);
    fat.set([0x00, 0x02], 11);
    fat.set(
      [...'FAT16'].map((c) => c.charCodeAt(0)),
      0x36,
    );
    fat[510] = 0x55;
    fat[511] = 0xaa;
    expect(looksLikeMbr(fat, dev.size)).toBe(false);
  });

  it('a logical chain that leads past the end of a truncated image stops there when asked', async () => {
    const dev = new MemoryDevice(16 * MiB);
    await writeMbr(dev, {
      partitions: [
        { type: 'linux', firstLba: 2048, sectors: 4096 },
        { type: 'extended', firstLba: 6144, sectors: 24576 },
        { logical: true, type: 'linux', firstLba: 8192, sectors: 4096 },
        { logical: true, type: 'linux', firstLba: 14336, sectors: 4096 },
        { logical: true, type: 'linux', firstLba: 20480, sectors: 4096 },
      ],
    });
    const cut = new MemoryDevice(8 * MiB);
    await cut.write(0, dev.bytes().slice(0, 8 * MiB));
    await expect(readMbr(cut)).rejects.toThrow(/EBR at sector 18432 is past the end of the disk/);
    const told: string[] = [];
    const t = await readMbr(cut, { onTruncated: (m) => told.push(m) });
    expect(t.partitions.map((p) => p.index)).toEqual([1, 2, 5, 6]);
    expect(told).toEqual([
      'the disk is truncated: the EBR at sector 18432 is past its end; logical partitions from 7 on are unknown',
    ]);
  });

  it('a truncated image: partitions past the end are allowed on request, and marked', async () => {
    const dev = new MemoryDevice(8 * MiB);
    await writeMbr(dev, {
      partitions: [
        { type: 'linux', firstLba: 2048, sectors: 4096 },
        { type: 'linux', firstLba: 6144, sectors: 8192 },
      ],
    });
    const s = new Uint8Array(512);
    await dev.read(0, s);
    const cut = 4 * MiB;
    expect(looksLikeMbr(s, cut)).toBe(false);
    expect(looksLikeMbr(s, cut, 512, { truncated: true })).toBe(true);
    // Cut before the first partition starts: nothing of the table's contents is left.
    expect(looksLikeMbr(s, MiB, 512, { truncated: true })).toBe(false);
    const parts = markTruncated(listMbrPartitions(await readMbr(dev)), cut);
    expect(parts.map((p) => [p.index, p.truncated ?? false])).toEqual([
      [1, false],
      [2, true],
    ]);
    const err = new TruncatedPartitionError(parts[1]!, cut);
    expect(err.code).toBe('TRUNCATED_PARTITION');
    expect(err.message).toMatch(/^partition 2 is truncated: it ends 3 MiB past the end of the image \(4 MiB\)/);
  });
});
