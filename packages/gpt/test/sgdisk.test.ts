import { spawnSync } from 'node:child_process';
import { truncateSync, writeFileSync } from 'node:fs';
import { FileDevice } from '@fstool/blockdev/node';
import { readMbr, writeMbr } from '@fstool/mbr';
import { findTool, haveTools, inCI, mustRun, runTool, tempDir } from '@fstool/testkit/node';
import { afterAll, describe, expect, it } from 'vitest';
import {
  detectPartitionTable,
  listGptPartitions,
  moveBackupToEnd,
  planGpt,
  readGpt,
  repairGpt,
  writeGpt,
} from '../src/index.js';

const MiB = 2 ** 20;

/** sgdisk -i N, as a record of its "Key: value" lines. */
function sgdiskInfo(path: string, n: number): Record<string, string> {
  const out: Record<string, string> = {};
  for (const line of mustRun('sgdisk', ['-i', String(n), path]).split('\n')) {
    const m = /^([^:]+): (.*)$/.exec(line);
    if (m) out[m[1] as string] = m[2] as string;
  }
  return out;
}

function blank(path: string, size: number): void {
  writeFileSync(path, new Uint8Array(0));
  truncateSync(path, size);
}

const sgdiskClean = (path: string) => {
  const r = runTool('sgdisk', ['-v', path]);
  const all = r.stdout + r.stderr;
  return r.stdout.includes('No problems found') && !/Caution|Warning|ERROR|Problem/.test(all) ? 'clean' : all;
};

describe.skipIf(!haveTools('sgdisk', 'sfdisk'))('GPT against sgdisk/sfdisk', () => {
  const tmp = tempDir('fstool-gpt-');
  afterAll(() => tmp.cleanup());

  async function ours(name: string, size = 128 * MiB, sectorSize = 512) {
    const path = tmp.join(name);
    const dev = await FileDevice.create(path, { size });
    const { spec, partitions: plan } = planGpt({
      diskSize: size,
      sectorSize,
      seed: 'sgdisk-test',
      partitions: [
        { type: 'bios-boot', name: 'bios', size: MiB, attributes: ['legacy-bios-bootable'] },
        { type: 'esp', name: 'EFI System Partition', size: 16 * MiB, attributes: ['required', 'no-block-io'] },
        { type: 'linux-root-x86-64', name: 'root', size: 'remaining', attributes: [60, 63] },
        { type: 'linux-swap', name: 'x'.repeat(36), size: 8 * MiB },
      ],
    });
    const table = await writeGpt(dev, spec);
    await dev.close();
    return { path, table, plan };
  }

  /** Runs `fn` with the image attached as a loop device of 4096-byte logical sectors. */
  function withLoop4k<T>(path: string, fn: (loop: string) => T): T | undefined {
    const losetup = findTool('losetup');
    if (!losetup) return undefined;
    const r = spawnSync(losetup, ['-b', '4096', '-f', '--show', path], { encoding: 'utf8' });
    if (r.status !== 0) {
      if (inCI) throw new Error(`losetup failed: ${r.stderr}`);
      return undefined;
    }
    const loop = r.stdout.trim();
    try {
      return fn(loop);
    } finally {
      spawnSync(losetup, ['-d', loop]);
    }
  }

  it('sgdisk -v finds no problems and sgdisk/sfdisk report exactly what we wrote', async () => {
    const { path, table, plan } = await ours('ours.img');
    expect(sgdiskClean(path)).toBe('clean');
    const p = mustRun('sgdisk', ['-p', path]);
    expect(p).toContain(`Disk identifier (GUID): ${table.diskGuid}`);
    expect(p).toContain('First usable sector is 34, last usable sector is 262110');
    const rows = p
      .split('\n')
      .filter((l) => /^\s+\d+\s+\d+/.test(l))
      .map((l) => l.trim().split(/\s+/));
    expect(rows.map((r) => [r[0], r[1], r[2], r[5]])).toEqual([
      ['1', '2048', '4095', 'EF02'],
      ['2', '4096', '36863', 'EF00'],
      ['3', '36864', '243711', '8304'],
      ['4', '243712', '260095', '8200'],
    ]);
    expect(plan[3]?.lastLba).toBeLessThanOrEqual(262110);
    const i2 = sgdiskInfo(path, 2);
    expect(i2['Partition unique GUID']).toBe(table.partitions[1]?.guid);
    expect(i2['Attribute flags']).toBe('0000000000000003');
    expect(i2['Partition name']).toBe("'EFI System Partition'");
    expect(sgdiskInfo(path, 3)['Attribute flags']).toBe('9000000000000000');
    expect(sgdiskInfo(path, 1)['Attribute flags']).toBe('0000000000000004');
    expect(sgdiskInfo(path, 4)['Partition name']).toBe(`'${'x'.repeat(36)}'`);
    const j = JSON.parse(mustRun('sfdisk', ['-J', path])).partitiontable;
    expect(j.id).toBe(table.diskGuid);
    expect(j.firstlba).toBe(34);
    expect(j.partitions.map((x: { attrs?: string }) => x.attrs)).toEqual([
      'LegacyBIOSBootable',
      'RequiredPartition NoBlockIOProtocol',
      'GUID:60,63',
      undefined,
    ]);
    expect(
      j.partitions.map((x: { start: number; size: number; type: string; uuid: string; name: string }) => [
        x.start,
        x.size,
        x.type,
        x.uuid,
        x.name,
      ]),
    ).toEqual(table.partitions.map((t) => [t.firstLba, t.sectors, t.typeGuid, t.guid, t.name]));
  });

  it('reads what sgdisk writes: names, attributes, type codes', async () => {
    const path = tmp.join('sgdisk.img');
    blank(path, 64 * MiB);
    mustRun('sgdisk', [
      '-o',
      '-U',
      '11111111-2222-3333-4444-555555555555',
      '-n',
      '1:2048:+1M',
      '-t',
      '1:ef02',
      '-c',
      '1:grub',
      '-A',
      '1:set:2',
      '-n',
      '2:0:+20M',
      '-t',
      '2:ef00',
      '-c',
      '2:EFI system',
      '-A',
      '2:set:0',
      '-n',
      '5:0:+10M',
      '-t',
      '5:8e00',
      '-c',
      '5:Ünïcode ✓',
      '-n',
      '3:0:0',
      '-t',
      '3:8302',
      '-A',
      '3:set:48',
      '-A',
      '3:set:62',
      path,
    ]);
    const dev = await FileDevice.open(path);
    const r = await readGpt(dev);
    await dev.close();
    expect(r.warnings).toEqual([]);
    expect(r.table.diskGuid).toBe('11111111-2222-3333-4444-555555555555');
    const info = listGptPartitions(r.table);
    expect(info.map((p) => [p.index, p.type, p.name, p.attributes, p.bootable])).toEqual([
      [1, 'bios-boot', 'grub', 4n, true],
      [2, 'esp', 'EFI system', 1n, false],
      [3, 'linux-home', '', (1n << 48n) | (1n << 62n), false],
      [5, 'linux-lvm', 'Ünïcode ✓', 0n, false],
    ]);
    for (const p of info) {
      const i = sgdiskInfo(path, p.index);
      expect(i['Partition unique GUID']).toBe(p.guid);
      expect(i['Partition GUID code']?.startsWith(String(p.typeId))).toBe(true);
      expect(i['First sector']).toMatch(new RegExp(`^${p.start / 512} `));
      expect(i['Partition size']).toMatch(new RegExp(`^${p.size / 512} sectors`));
    }
  });

  it('reads what sfdisk writes', async () => {
    const path = tmp.join('sfdisk.img');
    blank(path, 32 * MiB);
    mustRun('sfdisk', ['-q', path], {
      input:
        'label: gpt\nstart=2048, size=8192, type=U, name="esp"\nsize=4096, type=L, attrs="RequiredPartition GUID:60"\ntype=S\n',
    });
    const j = JSON.parse(mustRun('sfdisk', ['-J', path])).partitiontable;
    const dev = await FileDevice.open(path);
    const r = await readGpt(dev);
    await dev.close();
    expect(r.table.diskGuid).toBe(j.id);
    expect(r.table.partitions.map((p) => [p.firstLba, p.sectors, p.typeGuid, p.guid, p.name])).toEqual(
      j.partitions.map((x: { start: number; size: number; type: string; uuid: string; name?: string }) => [
        x.start,
        x.size,
        x.type,
        x.uuid,
        x.name ?? '',
      ]),
    );
    expect(r.table.partitions[1]?.attributes).toBe(1n | (1n << 60n));
  });

  it('reads a damaged primary header or array from the backup; repair makes sgdisk -v clean', async () => {
    for (const [what, offset] of [
      ['primary-header', 512 + 0x28],
      ['primary-entries', 1024 + 128 + 40],
    ] as const) {
      const { path, table } = await ours(`damaged-${what}.img`);
      const dev = await FileDevice.open(path, { writable: true });
      await dev.write(offset, new Uint8Array([0x5a]));
      expect(sgdiskClean(path)).not.toBe('clean');
      const r = await readGpt(dev);
      expect(r.source).toBe('backup');
      expect(r.table).toEqual(table);
      expect(r.warnings.map((w) => w.structure)).toContain(what);
      expect(await repairGpt(dev)).not.toEqual([]);
      await dev.close();
      expect(sgdiskClean(path)).toBe('clean');
    }
  });

  it('moves the backup to the end after the image grows', async () => {
    const { path } = await ours('grow.img', 64 * MiB);
    truncateSync(path, 96 * MiB);
    const dev = await FileDevice.open(path, { writable: true });
    expect((await readGpt(dev)).backupMisplaced).toBe(true);
    await moveBackupToEnd(dev);
    await dev.close();
    expect(sgdiskClean(path)).toBe('clean');
    expect(mustRun('sgdisk', ['-p', path])).toContain(`last usable sector is ${96 * 2048 - 34}`);
  });

  it('4096-byte sectors: sgdisk on a 4Kn loop device agrees with us both ways', async (ctx) => {
    const { path, table } = await ours('4k.img', 64 * MiB, 4096);
    expect(table.firstUsableLba).toBe(6);
    const p = withLoop4k(path, (loop) => {
      expect(sgdiskClean(loop)).toBe('clean');
      return mustRun('sgdisk', ['-p', loop]);
    });
    if (p === undefined) return ctx.skip();
    expect(p).toContain('Sector size (logical/physical): 4096/4096 bytes');
    expect(p).toContain('First usable sector is 6, last usable sector is 16378');
    expect(p).toMatch(/^\s+2\s+512\s+4607\s+16\.0 MiB\s+EF00\s+EFI System Partition$/m);

    const theirs = tmp.join('4k-sgdisk.img');
    blank(theirs, 32 * MiB);
    withLoop4k(theirs, (loop) =>
      mustRun('sgdisk', ['-o', '-n', '1:0:+4M', '-t', '1:ef00', '-c', '1:esp', '-n', '2:0:0', loop]),
    );
    const dev = await FileDevice.open(theirs);
    const r = await readGpt(dev);
    await dev.close();
    expect(r.warnings).toEqual([]);
    expect(r.table.sectorSize).toBe(4096);
    expect(listGptPartitions(r.table).map((x) => [x.index, x.start, x.size, x.type, x.name])).toEqual([
      [1, MiB, 4 * MiB, 'esp', 'esp'],
      [2, 5 * MiB, (8187 - 1280) * 4096, 'linux', ''],
    ]);
  });

  it('an MBR written over a GPT disk removes the old GPT', async () => {
    const { path } = await ours('regpt.img', 32 * MiB);
    const dev = await FileDevice.open(path, { writable: true });
    await writeMbr(dev, { partitions: [{ type: 'linux', firstLba: 2048, sectors: 4096 }] });
    expect(await detectPartitionTable(dev)).toBe('mbr');
    expect((await readMbr(dev)).partitions).toHaveLength(1);
    await dev.close();
    expect(JSON.parse(mustRun('sfdisk', ['-J', path])).partitiontable.label).toBe('dos');
  });

  it('other entry counts: 256 entries move the first usable sector to 66', async () => {
    const path = tmp.join('256.img');
    const dev = await FileDevice.create(path, { size: 16 * MiB });
    const { spec } = planGpt({
      diskSize: dev.size,
      entryCount: 256,
      partitions: [{ type: 'linux', size: 4 * MiB }],
    });
    await writeGpt(dev, spec);
    await dev.close();
    expect(sgdiskClean(path)).toBe('clean');
    expect(mustRun('sgdisk', ['-p', path])).toContain('First usable sector is 66, last usable sector is 32702');
  });
});
