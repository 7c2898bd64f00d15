import { CorruptError, FsError, MemoryDevice } from '@fstool/blockdev';
import { PartitionTableError, PartitionTypeError, planLayout, writeMbr } from '@fstool/mbr';
import { describe, expect, it } from 'vitest';
import {
  attributeNames,
  attributesFrom,
  bytesToGuid,
  deriveGuid,
  detectPartitionTable,
  GptCorruptError,
  gptUsableRange,
  guidToBytes,
  listGptPartitions,
  moveBackupToEnd,
  readGpt,
  readPartitionTable,
  repairGpt,
  resolveGptType,
  writeGpt,
} from '../src/index.js';

const MiB = 2 ** 20;

describe('GUIDs', () => {
  it('store the first three fields little-endian', () => {
    const b = guidToBytes('C12A7328-F81F-11D2-BA4B-00A0C93EC93B');
    expect([...b.subarray(0, 8)]).toEqual([0x28, 0x73, 0x2a, 0xc1, 0x1f, 0xf8, 0xd2, 0x11]);
    expect(bytesToGuid(b)).toBe('C12A7328-F81F-11D2-BA4B-00A0C93EC93B');
  });
  it('derive reproducibly from a seed', () => {
    expect(deriveGuid('seed', 'gpt', 'disk')).toBe(deriveGuid('seed', 'gpt', 'disk'));
    expect(deriveGuid('seed', 'gpt', 'disk')).not.toBe(deriveGuid('seed2', 'gpt', 'disk'));
    expect(deriveGuid('seed', 'gpt', 'disk')).toMatch(/^[0-9A-F]{8}-[0-9A-F]{4}-5/);
  });
});

describe('types and attributes', () => {
  it('resolves aliases and GUID literals', () => {
    expect(resolveGptType('esp')).toBe('C12A7328-F81F-11D2-BA4B-00A0C93EC93B');
    expect(resolveGptType('fat32')).toBe('EBD0A0A2-B9E5-4433-87C0-68B6B72699C7');
    expect(resolveGptType('bios')).toBe('21686148-6449-6E6F-744E-656564454649');
    expect(resolveGptType('0fc63daf-8483-4772-8e79-3d69d8477de4')).toBe('0FC63DAF-8483-4772-8E79-3D69D8477DE4');
  });
  it('rejects MBR bytes, the nil GUID and unknown names', () => {
    expect(() => resolveGptType(0x83)).toThrow(PartitionTypeError);
    expect(() => resolveGptType('0x83')).toThrow(/no meaning on a GPT disk/);
    expect(() => resolveGptType('00000000-0000-0000-0000-000000000000')).toThrow(PartitionTypeError);
    expect(() => resolveGptType('linuxx')).toThrow(PartitionTypeError);
  });
  it('maps attribute names and bits', () => {
    const a = attributesFrom(['required', 'legacy-bios-bootable', 60, 63]);
    expect(a).toBe((1n << 63n) | (1n << 60n) | 4n | 1n);
    expect(attributeNames(a)).toEqual(['required', 'legacy-bios-bootable', 60, 63]);
    expect(() => attributesFrom([64])).toThrow(FsError);
  });
});

async function sampleDisk(size = 64 * MiB, seed = 'fixed') {
  const dev = new MemoryDevice(size, { growable: true });
  const range = gptUsableRange(size);
  const plan = planLayout({
    diskSize: size,
    ...range,
    partitions: [{ size: 8 * MiB }, { size: 'remaining' }, { size: 4 * MiB }],
  });
  const [a, b, c] = plan as [(typeof plan)[0], (typeof plan)[0], (typeof plan)[0]];
  const table = await writeGpt(dev, {
    seed,
    partitions: [
      { type: 'esp', name: 'EFI System', firstLba: a.firstLba, sectors: a.sectors, attributes: ['required'] },
      { type: 'linux-root-x86-64', name: 'root ☃', firstLba: b.firstLba, sectors: b.sectors, attributes: [60] },
      { type: 'swap', firstLba: c.firstLba, sectors: c.sectors },
    ],
  });
  return { dev, table };
}

describe('round trip', () => {
  it('reads back what it wrote, with reproducible GUIDs', async () => {
    const { dev, table } = await sampleDisk();
    const r = await readGpt(dev);
    expect(r.warnings).toEqual([]);
    expect(r.table).toEqual(table);
    expect(table.diskGuid).toBe(deriveGuid('fixed', 'gpt', 'disk'));
    expect((await sampleDisk()).table).toEqual(table);
    const info = listGptPartitions(r.table);
    expect(info.map((p) => [p.index, p.start, p.type, p.name])).toEqual([
      [1, MiB, 'esp', 'EFI System'],
      [2, 9 * MiB, 'linux-root-x86-64', 'root ☃'],
      [3, 59 * MiB, 'swap', ''],
    ]);
    expect(info[1]?.size).toBe(50 * MiB);
    expect(await detectPartitionTable(dev)).toBe('gpt');
    expect((await readPartitionTable(dev)).id).toBe(table.diskGuid);
  });

  it('validates: overlap, outside usable range, names, duplicate GUIDs', async () => {
    const dev = new MemoryDevice(8 * MiB);
    const w = (partitions: Parameters<typeof writeGpt>[1]['partitions']) => writeGpt(dev, { partitions });
    await expect(
      w([
        { type: 'linux', firstLba: 2048, sectors: 100 },
        { type: 'linux', firstLba: 2100, sectors: 100 },
      ]),
    ).rejects.toThrow(/overlap by 48 sector/);
    await expect(w([{ type: 'linux', firstLba: 33, sectors: 100 }])).rejects.toThrow(/before the first usable/);
    await expect(w([{ type: 'linux', firstLba: 2048, sectors: 16384 }])).rejects.toThrow(PartitionTableError);
    await expect(w([{ type: 'linux', firstLba: 2048, sectors: 1, name: 'x'.repeat(37) }])).rejects.toThrow(/36 fit/);
    const g = deriveGuid('a', 'b');
    await expect(
      w([
        { type: 'linux', firstLba: 2048, sectors: 1, guid: g },
        { type: 'linux', firstLba: 4096, sectors: 1, guid: g },
      ]),
    ).rejects.toThrow(/also used/);
  });
});

describe('damage', () => {
  it('reads from the backup when the primary header is damaged, and repairs', async () => {
    const { dev, table } = await sampleDisk();
    await dev.write(512 + 0x30, new Uint8Array([1]));
    const r = await readGpt(dev);
    expect(r.source).toBe('backup');
    expect(r.table).toEqual(table);
    expect(r.warnings.map((w) => w.structure)).toContain('primary-header');
    expect(r.warnings[0]?.message).toMatch(/header CRC mismatch at LBA 1/);
    await expect(readGpt(dev, { strict: true })).rejects.toBeInstanceOf(GptCorruptError);
    expect((await repairGpt(dev)).length).toBeGreaterThan(0);
    expect((await readGpt(dev)).warnings).toEqual([]);
  });

  it('names both structures when neither copy is usable', async () => {
    const { dev } = await sampleDisk();
    await dev.write(1024, new Uint8Array([1])); // primary array
    await dev.write(dev.size - 512 + 0x20, new Uint8Array([9])); // backup header
    await expect(readGpt(dev)).rejects.toThrow(/primary-entries: entry array CRC mismatch.*backup-header/);
  });

  it('sees a grown disk and moves the backup', async () => {
    const { dev } = await sampleDisk();
    await dev.resize(80 * MiB);
    const r = await readGpt(dev);
    expect(r.backupMisplaced).toBe(true);
    expect(r.warnings[0]?.message).toMatch(/disk grew/);
    const moved = await moveBackupToEnd(dev);
    expect(moved.lastUsableLba).toBe(80 * 2048 - 34);
    expect((await readGpt(dev)).warnings).toEqual([]);
  });
});

describe('garbage', () => {
  let seed = 7;
  const rnd = () => {
    seed = (seed * 1103515245 + 12345) >>> 0;
    return seed >>> 24;
  };
  it('random bytes with a GPT signature give typed errors', async () => {
    for (let i = 0; i < 100; i++) {
      const buf = new Uint8Array(64 * 1024).map(rnd);
      buf.set(
        [...'EFI PART'].map((c) => c.charCodeAt(0)),
        512,
      );
      const dev = new MemoryDevice(buf);
      await expect(readGpt(dev)).rejects.toBeInstanceOf(CorruptError);
    }
  });

  it('random headers and arrays with valid CRCs give typed errors', async () => {
    const { crc32, gptHeader } = await import('../src/index.js');
    for (let i = 0; i < 300; i++) {
      const buf = new Uint8Array(64 * 1024).map(rnd);
      const h = buf.subarray(512, 1024);
      h.set(
        [...'EFI PART'].map((c) => c.charCodeAt(0)),
        0,
      );
      gptHeader.set(h, 0, 'headerSize', 92);
      gptHeader.set(h, 0, 'myLba', 1);
      if (i % 2) {
        gptHeader.set(h, 0, 'entriesLba', 2);
        gptHeader.set(h, 0, 'entryCount', 1 + (i % 64));
        gptHeader.set(h, 0, 'entrySize', 128);
        gptHeader.set(h, 0, 'entriesCrc32', crc32(buf.subarray(1024, 1024 + (1 + (i % 64)) * 128)));
      }
      gptHeader.set(h, 0, 'headerCrc32', 0);
      gptHeader.set(h, 0, 'headerCrc32', crc32(h.subarray(0, 92)));
      try {
        await readGpt(new MemoryDevice(buf));
      } catch (e) {
        expect(e).toBeInstanceOf(FsError);
      }
    }
  });

  it('header fields out of range with a valid CRC give typed errors, no huge allocation', async () => {
    const { dev } = await sampleDisk(16 * MiB);
    const { crc32, gptHeader } = await import('../src/index.js');
    const mutate = async (field: 'headerSize' | 'entryCount' | 'entrySize' | 'entriesLba', value: number) => {
      const copy = new MemoryDevice(dev.bytes().slice());
      for (const lba of [1, copy.size / 512 - 1]) {
        const s = new Uint8Array(512);
        await copy.read(lba * 512, s);
        gptHeader.set(s, 0, field, value);
        gptHeader.set(s, 0, 'headerCrc32', 0);
        gptHeader.set(s, 0, 'headerCrc32', crc32(s.subarray(0, Math.min(512, gptHeader.get(s, 0, 'headerSize')))));
        await copy.write(lba * 512, s);
      }
      return readGpt(copy);
    };
    await expect(mutate('entryCount', 0xffffffff)).rejects.toThrow(/over 1 MiB/);
    await expect(mutate('entrySize', 100)).rejects.toThrow(/128 × 2\^n/);
    await expect(mutate('headerSize', 4000)).rejects.toThrow(/header size/);
    await expect(mutate('entriesLba', 2 ** 40)).rejects.toThrow(/outside the disk/);
  });

  it('a disk cut before its entry array gives typed errors', async () => {
    const { dev } = await sampleDisk(16 * MiB);
    for (const size of [0, 100, 512, 1024, 4096, 16000]) {
      await expect(readGpt(new MemoryDevice(dev.bytes().slice(0, size)))).rejects.toBeInstanceOf(CorruptError);
    }
  });

  it('a disk cut after its entry array keeps its table; partitions past the end are marked truncated', async () => {
    const { dev, table } = await sampleDisk(16 * MiB);
    const cut = new MemoryDevice(dev.bytes().slice(0, 10 * MiB));
    const r = await readGpt(cut);
    expect(r.table.partitions).toEqual(table.partitions);
    expect(r.warnings).toEqual([
      { structure: 'backup-header', message: expect.stringMatching(/^the disk is truncated: it ends at LBA 20479/) },
    ]);
    const info = await readPartitionTable(cut);
    expect(info.partitions.map((p) => [p.index, p.truncated ?? false])).toEqual([
      [1, false],
      [2, true],
      [3, true],
    ]);
  });
});

describe('detect', () => {
  it('tells MBR, GPT and bare filesystems apart', async () => {
    const dev = new MemoryDevice(8 * MiB);
    expect(await detectPartitionTable(dev)).toBe('none');
    await writeMbr(dev, { partitions: [{ type: 'linux', firstLba: 2048, sectors: 4096 }] });
    expect(await detectPartitionTable(dev)).toBe('mbr');
    const t = await readPartitionTable(dev);
    expect(t.partitions.map((p) => [p.index, p.start, p.size, p.type])).toEqual([[1, MiB, 2 * MiB, 'linux']]);
    await dev.write(1024 + 0x38, new Uint8Array([0x53, 0xef]));
    expect(await detectPartitionTable(dev)).toBe('none');
  });
});
