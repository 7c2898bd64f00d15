import { spawnSync } from 'node:child_process';
import { FileDevice } from '@fstool/blockdev/node';
import { findTool, haveTools, inCI, mustRun, tempDir } from '@fstool/testkit/node';
import { afterAll, describe, expect, it } from 'vitest';
import { listMbrPartitions, planLayout, planMbr, readMbr, writeMbr } from '../src/index.js';

const MiB = 2 ** 20;

interface SfdiskJson {
  partitiontable: {
    label: string;
    id: string;
    sectorsize: number;
    partitions: Array<{ node: string; start: number; size: number; type: string; bootable?: boolean }>;
  };
}

describe.skipIf(!haveTools('sfdisk', 'fdisk'))('MBR against sfdisk/fdisk', () => {
  const tmp = tempDir('fstool-mbr-');
  afterAll(() => tmp.cleanup());

  it('sfdisk and fdisk read what we write (primaries, extended, logicals)', async () => {
    const path = tmp.join('ours.img');
    const dev = await FileDevice.create(path, { size: 200 * MiB });
    const plan = planLayout({
      diskSize: dev.size,
      partitions: [
        { name: 'boot', size: 32 * MiB },
        { name: 'root', size: 64 * MiB },
        { name: 'ext', size: 'remaining' },
      ],
    });
    const [boot, root, ext] = plan as [(typeof plan)[0], (typeof plan)[0], (typeof plan)[0]];
    const logicals = planLayout({
      diskSize: dev.size,
      firstUsableLba: ext.firstLba,
      lastUsableLba: ext.lastLba,
      partitions: [
        { name: 'l5', size: 20 * MiB, reserveBefore: 1 },
        { name: 'l6', size: 'remaining', reserveBefore: 1 },
      ],
    });
    await writeMbr(dev, {
      diskSignature: 0x0badcafe,
      partitions: [
        { type: 'fat32', bootable: true, firstLba: boot.firstLba, sectors: boot.sectors },
        { type: 'linux', firstLba: root.firstLba, sectors: root.sectors },
        { type: 'extended', firstLba: ext.firstLba, sectors: ext.sectors },
        ...logicals.map((l, i) => ({
          logical: true,
          type: i ? 'linux-swap' : 'lvm',
          firstLba: l.firstLba,
          sectors: l.sectors,
        })),
      ],
    });
    await dev.close();
    const j = JSON.parse(mustRun('sfdisk', ['-J', path])) as SfdiskJson;
    expect(j.partitiontable.label).toBe('dos');
    expect(j.partitiontable.id).toBe('0x0badcafe');
    expect(j.partitiontable.partitions.map(({ node, ...p }) => ({ n: node.slice(path.length), ...p }))).toEqual([
      { n: '1', start: 2048, size: 65536, type: 'c', bootable: true },
      { n: '2', start: 67584, size: 131072, type: '83' },
      { n: '3', start: 198656, size: 210944, type: 'f' },
      { n: '5', start: 200704, size: 40960, type: '8e' },
      { n: '6', start: 243712, size: 165888, type: '82' },
    ]);
    const fdisk = mustRun('fdisk', ['-l', path]);
    expect(fdisk).toMatch(/ours\.img5\s+200704\s+241663\s+40960\s+20M\s+8e Linux LVM/);
    expect(fdisk).toMatch(/ours\.img6\s+243712\s+409599\s+165888\s+81M\s+82 Linux swap/);
    expect(mustRun('sfdisk', ['--verify', path])).toMatch(/No errors detected/);
  });

  it('reads a table sfdisk wrote, with extended and logicals', async () => {
    const path = tmp.join('theirs.img');
    await (await FileDevice.create(path, { size: 100 * MiB })).close();
    mustRun('sfdisk', ['-q', path], {
      input: [
        'label: dos',
        'label-id: 0x12345678',
        'start=2048, size=20480, type=c, bootable',
        'start=22528, size=40960, type=5',
        'start=24576, size=8192, type=83',
        'start=34816, size=8192, type=82',
        'start=63488, size=4096, type=ef',
        '',
      ].join('\n'),
    });
    const dev = await FileDevice.open(path);
    const t = await readMbr(dev);
    await dev.close();
    expect(t.diskSignature).toBe(0x12345678);
    expect(listMbrPartitions(t).map((p) => [p.index, p.start / 512, p.size / 512, p.type, p.bootable])).toEqual([
      [1, 2048, 20480, 'fat32', true],
      [2, 22528, 40960, 'extended-chs', false],
      [3, 63488, 4096, 'efi', false],
      [5, 24576, 8192, 'linux', false],
      [6, 34816, 8192, 'swap', false],
    ]);
  });

  it('writes byte-identical entries to sfdisk (CHS included)', async () => {
    const a = tmp.join('a.img');
    const b = tmp.join('b.img');
    await (await FileDevice.create(a, { size: 9000 * MiB })).close();
    await (await FileDevice.create(b, { size: 9000 * MiB })).close();
    mustRun('sfdisk', ['-q', a], {
      input: 'label: dos\nlabel-id: 0x1\nstart=2048, size=204800, type=c, bootable\nstart=206848, type=83\n',
    });
    const dev = await FileDevice.open(b, { writable: true });
    await writeMbr(dev, {
      diskSignature: 1,
      partitions: [
        { type: 0x0c, bootable: true, firstLba: 2048, sectors: 204800 },
        { type: 0x83, firstLba: 206848, sectors: 9000 * 2048 - 206848 },
      ],
    });
    await dev.close();
    const sector0 = async (p: string) => {
      const d = await FileDevice.open(p);
      const s = new Uint8Array(512);
      await d.read(0, s);
      await d.close();
      return s.subarray(440);
    };
    expect(await sector0(b)).toEqual(await sector0(a));
  });

  it('planMbr: seven partitions become three primaries and four logicals that sfdisk agrees with', async () => {
    const path = tmp.join('planned.img');
    const dev = await FileDevice.create(path, { size: 256 * MiB });
    const types = ['efi', 'linux', 'linux', 'swap', 'lvm', 'raid', 'ntfs'];
    const { spec, partitions } = planMbr({
      diskSize: dev.size,
      diskSignature: 7,
      partitions: types.map((type, i) => ({ type, size: i === 2 ? 'remaining' : 16 * MiB, bootable: i === 0 })),
    });
    await writeMbr(dev, spec);
    await dev.close();
    const j = JSON.parse(mustRun('sfdisk', ['-J', path])) as SfdiskJson;
    const got = j.partitiontable.partitions.filter((p) => p.type !== 'f');
    expect(got.map((p) => [Number(p.node.slice(path.length)), p.start, p.size, p.type])).toEqual(
      partitions.map((p, i) => [p.index, p.firstLba, p.sectors, ['ef', '83', '83', '82', '8e', 'fd', '7'][i]]),
    );
    expect(mustRun('sfdisk', ['--verify', path])).toMatch(/No errors detected/);
    expect(mustRun('fdisk', ['-l', path])).toMatch(/planned\.img8\s+\d+\s+\d+\s+32768\s+16M\s+7 HPFS\/NTFS\/exFAT/);
  });

  it('4096-byte sectors: MBR and EBRs byte-identical to sfdisk on a 4Kn loop device', async (ctx) => {
    const theirs = tmp.join('4k-sfdisk.img');
    const mine = tmp.join('4k-ours.img');
    for (const p of [theirs, mine]) await (await FileDevice.create(p, { size: 64 * MiB })).close();
    const script = [
      'label: dos',
      'label-id: 0x44444444',
      'start=256, size=2048, type=c, bootable',
      'start=2304, size=8192, type=f',
      'start=2560, size=1024, type=83',
      'start=3840, size=1024, type=82',
      '',
    ].join('\n');
    const ran = withLoop4k(theirs, (loop) => mustRun('sfdisk', ['-q', '--no-reread', loop], { input: script }));
    if (ran === undefined) return ctx.skip();
    const dev = await FileDevice.open(mine, { writable: true });
    await writeMbr(dev, {
      sectorSize: 4096,
      diskSignature: 0x44444444,
      partitions: [
        { type: 'fat32', bootable: true, firstLba: 256, sectors: 2048 },
        { type: 'extended', firstLba: 2304, sectors: 8192 },
        { logical: true, type: 'linux', firstLba: 2560, sectors: 1024 },
        { logical: true, type: 'swap', firstLba: 3840, sectors: 1024 },
      ],
    });
    await dev.close();
    const sectorAt = async (path: string, lba: number) => {
      const d = await FileDevice.open(path);
      const s = new Uint8Array(512);
      await d.read(lba * 4096, s);
      await d.close();
      return s.subarray(440);
    };
    for (const lba of [0, 2304, 2560 + 1024])
      expect(await sectorAt(mine, lba), `sector ${lba}`).toEqual(await sectorAt(theirs, lba));
    const back = await FileDevice.open(theirs);
    const t = await readMbr(back, { sectorSize: 4096 });
    await back.close();
    expect(listMbrPartitions(t).map((p) => [p.index, p.start / 4096, p.size / 4096, p.type])).toEqual([
      [1, 256, 2048, 'fat32'],
      [2, 2304, 8192, 'extended'],
      [5, 2560, 1024, 'linux'],
      [6, 3840, 1024, 'swap'],
    ]);
  });
});

/** Runs `fn` with the image attached as a loop device of 4096-byte logical sectors (undefined: not allowed here). */
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
