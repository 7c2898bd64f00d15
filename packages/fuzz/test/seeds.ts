/**
 * Valid images to mutate, made at test time by the real tools (mke2fs, genext2fs, sfdisk, sgdisk,
 * qemu-img/qemu-io, mkfs.fat/mcopy) and by fstool itself. Each is 1–8 MiB (FAT32 needs 33 MiB;
 * the copy-on-write device makes that cheap). Each seed says where its metadata is (`hot`) and
 * which header structures sit where (`sites`), for field-aware mutations.
 */
import { mkdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { MemoryDevice } from '@fstool/blockdev';
import { extDriver } from '@fstool/ext';
import { groupDescCodec, inodeBase, superblock } from '@fstool/ext/format';
import { fatDriver } from '@fstool/fat';
import { bpb, bpb16, bpb32, shortEntry } from '@fstool/fat/format';
import { bytesSource, type Entry, treeFromEntries } from '@fstool/fs';
import type { Reader, Seed, StructSite } from '@fstool/fuzz';
import { gptEntry, gptHeader, writeGpt } from '@fstool/gpt';
import { ebrPositions, mbrEntry, mbrSector, readMbr, writeMbr } from '@fstool/mbr';
import { Qcow2Device } from '@fstool/qcow2';
import { headerV2, headerV3, tableEntry } from '@fstool/qcow2/format';
import { haveTools, mustRun, tempDir } from '@fstool/testkit/node';

/** The tools each reader's seeds need. */
export const SEED_TOOLS: Record<Reader, string[]> = {
  mbr: ['sfdisk', 'mkfs.fat', 'mcopy'],
  gpt: ['sgdisk', 'sfdisk', 'mkfs.fat', 'mcopy'],
  qcow2: ['qemu-img', 'qemu-io'],
  ext: ['mke2fs', 'genext2fs'],
  fat: ['mkfs.fat', 'mcopy'],
};

export const haveSeedTools = (reader: Reader) => haveTools(...SEED_TOOLS[reader]);

const MiB = 2 ** 20;

/** File contents are runs of one byte, so data blocks are easy to tell from metadata. */
const FILES: Array<[string, number, number]> = [
  ['hello.txt', 12, 0x68],
  ['empty', 0, 0],
  ['medium.bin', 3000, 0xdd],
  ['big.bin', 70_000, 0xee],
  ['dir/sub/deep/file.txt', 100, 0x61],
];
const MANY = 60;

/** Writes the sample tree into `dir` (host side, for the tools). */
export function hostTree(dir: string): void {
  for (const [path, size, fill] of FILES) {
    const full = `${dir}/${path}`;
    mkdirSync(full.slice(0, full.lastIndexOf('/')), { recursive: true });
    writeFileSync(full, new Uint8Array(size).fill(fill));
  }
  mkdirSync(`${dir}/many`);
  for (let i = 0; i < MANY; i++) writeFileSync(`${dir}/many/a file with a long name number ${i}.txt`, `file ${i}\n`);
  symlinkSync('hello.txt', `${dir}/short-link`);
  symlinkSync(`${'x'.repeat(90)}/target`, `${dir}/long-link`);
}

/** The same tree as Entries, for fstool's own builders (FAT: no symlinks). */
function memoryTree(links: boolean) {
  const base = { mode: 0o644, uid: 0, gid: 0, mtime: 1_700_000_000 };
  const dir = (path: string): Entry => ({ ...base, mode: 0o755, path, kind: 'dir', size: 0 });
  const file = (path: string, data: Uint8Array): Entry => ({
    ...base,
    path,
    kind: 'file',
    size: data.length,
    open: () => bytesSource(data),
  });
  const entries: Entry[] = [dir('/dir'), dir('/dir/sub'), dir('/dir/sub/deep'), dir('/many')];
  for (const [path, size, fill] of FILES) entries.push(file(`/${path}`, new Uint8Array(size).fill(fill)));
  for (let i = 0; i < MANY; i++)
    entries.push(file(`/many/a file with a long name number ${i}.txt`, new TextEncoder().encode(`file ${i}\n`)));
  if (links) entries.push({ ...base, mode: 0o777, path: '/short-link', kind: 'symlink', size: 9, target: 'hello.txt' });
  entries.sort((a, b) => (a.path < b.path ? -1 : 1));
  return treeFromEntries(entries);
}

/** Byte ranges of blocks that are neither zero nor one repeated byte (file data): the metadata. */
function metadataRanges(bytes: Uint8Array, block = 1024, limit = Number.POSITIVE_INFINITY): Array<[number, number]> {
  const out: Array<[number, number]> = [];
  for (let at = 0; at < Math.min(bytes.length, limit); at += block) {
    const b = bytes.subarray(at, at + block);
    const first = b[0];
    if (b.every((x) => x === first)) continue;
    const last = out[out.length - 1];
    if (last && last[1] === at) last[1] = at + b.length;
    else out.push([at, at + b.length]);
  }
  return out.length > 0 ? out : [[0, Math.min(bytes.length, 4096)]];
}

function seed(name: string, bytes: Uint8Array, sites: StructSite[], hot = metadataRanges(bytes)): Seed {
  return { name, bytes, hot, sites };
}

export async function makeSeeds(reader: Reader): Promise<{ seeds: Seed[]; cleanup: () => void }> {
  const tmp = tempDir(`fstool-fuzz-${reader}-`);
  const src = tmp.join('tree');
  mkdirSync(src);
  hostTree(src);
  const make = { mbr: mbrSeeds, gpt: gptSeeds, qcow2: qcow2Seeds, ext: extSeeds, fat: fatSeeds }[reader];
  const seeds = await make(tmp.join, src);
  return { seeds, cleanup: tmp.cleanup };
}

type Join = (...p: string[]) => string;

// ---- ext ---------------------------------------------------------------------------------------

function extSites(bytes: Uint8Array): StructSite[] {
  const sb = superblock.decode(bytes, 1024);
  const blockSize = 1024 * 2 ** sb.s_log_block_size;
  const is64 = (sb.s_feature_incompat & 0x80) !== 0;
  const descSize = is64 ? sb.s_desc_size : 32;
  const desc = groupDescCodec(descSize);
  const gdt = (sb.s_first_data_block + 1) * blockSize;
  const groups = Math.ceil(sb.s_blocks_count / sb.s_blocks_per_group);
  const sites: StructSite[] = [{ struct: superblock, offset: 1024 }];
  for (let g = 0; g < groups; g++) sites.push({ struct: desc, offset: gdt + g * descSize });
  const itable = desc.decode(bytes, gdt).bg_inode_table * blockSize;
  // Root, lost+found and the first files and directories of the tree.
  for (const ino of [2, 7, 8, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20]) {
    sites.push({ struct: inodeBase, offset: itable + (ino - 1) * sb.s_inode_size });
  }
  return sites;
}

async function extSeeds(join: Join, src: string): Promise<Seed[]> {
  const variants: Array<[string, string[], number]> = [
    ['ext4-4k', ['-t', 'ext4', '-b', '4096'], 8],
    ['ext4-1k-csum-nojournal', ['-t', 'ext4', '-b', '1024', '-O', 'metadata_csum,^has_journal'], 4],
    ['ext4-1k-inline', ['-t', 'ext4', '-b', '1024', '-O', 'inline_data,^has_journal', '-I', '256'], 4],
    ['ext3-1k', ['-t', 'ext3', '-b', '1024'], 4],
    ['ext2-1k', ['-t', 'ext2', '-b', '1024'], 2],
    ['ext4-64bit-flex', ['-t', 'ext4', '-b', '1024', '-O', '64bit,^has_journal', '-G', '4', '-N', '256'], 3],
  ];
  const seeds: Seed[] = [];
  const env = { ...process.env, E2FSPROGS_FAKE_TIME: '1700000000', MKE2FS_DEVICE_SECTSIZE: '512' };
  for (const [name, opts, mib] of variants) {
    const img = join(`${name}.img`);
    mustRun('mke2fs', ['-q', '-F', '-E', 'root_owner=0:0', '-U', 'clear', ...opts, '-d', src, img, `${mib * 1024}`], {
      env,
    });
    const bytes = new Uint8Array(readFileSync(img));
    seeds.push(seed(name, bytes, extSites(bytes)));
  }
  const g = join('genext2fs.img');
  mustRun('genext2fs', ['-b', '2048', '-N', '128', '-d', src, g]);
  const gb = new Uint8Array(readFileSync(g));
  seeds.push(seed('genext2fs', gb, extSites(gb)));
  for (const type of ['ext4', 'ext2']) {
    const dev = new MemoryDevice(4 * MiB);
    await extDriver.build(dev, memoryTree(true), {}, { type });
    const b = dev.bytes();
    seeds.push(seed(`fstool-${type}`, b, extSites(b)));
  }
  return seeds;
}

// ---- FAT ---------------------------------------------------------------------------------------

function fatSites(bytes: Uint8Array, base = 0): StructSite[] {
  const bs = bpb.decode(bytes, base);
  const fat32 = bs.fatSectors16 === 0;
  const ext = bpb32.decode(bytes, base);
  const sites: StructSite[] = [
    { struct: bpb, offset: base },
    { struct: fat32 ? bpb32 : bpb16, offset: base },
  ];
  const bps = bs.bytesPerSector;
  const fatSize = fat32 ? ext.fatSectors32 : bs.fatSectors16;
  const rootSectors = Math.ceil((bs.rootEntries * 32) / bps);
  const firstData = (bs.reservedSectors + bs.numFats * fatSize + rootSectors) * bps;
  const root =
    bs.rootEntries > 0
      ? (bs.reservedSectors + bs.numFats * fatSize) * bps
      : firstData + (ext.rootCluster - 2) * bs.sectorsPerCluster * bps;
  for (let i = 0; i < 16; i++) sites.push({ struct: shortEntry, offset: base + root + i * 32 });
  return sites;
}

function fillFat(img: string, src: string, offset = 0): void {
  const target = offset ? `${img}@@${offset}` : img;
  mustRun(
    'mcopy',
    [
      '-s',
      '-Q',
      '-i',
      target,
      `${src}/hello.txt`,
      `${src}/empty`,
      `${src}/medium.bin`,
      `${src}/big.bin`,
      `${src}/dir`,
      `${src}/many`,
      '::/',
    ],
    {
      env: { ...process.env, MTOOLS_SKIP_CHECK: '1' },
    },
  );
}

async function fatSeeds(join: Join, src: string): Promise<Seed[]> {
  const seeds: Seed[] = [];
  const variants: Array<[string, string[], number]> = [
    ['fat12', ['-F', '12'], 2],
    ['fat16', ['-F', '16', '-s', '1'], 8],
    ['fat32', ['-F', '32', '-s', '1'], 34],
  ];
  for (const [name, opts, mib] of variants) {
    const img = join(`${name}.img`);
    mustRun('mkfs.fat', [...opts, '-i', '12345678', '-C', img, `${mib * 1024}`]);
    fillFat(img, src);
    const bytes = new Uint8Array(readFileSync(img));
    seeds.push(seed(name, bytes, fatSites(bytes), metadataRanges(bytes, 512, 8 * MiB)));
  }
  for (const type of ['fat12', 'fat16']) {
    const dev = new MemoryDevice((type === 'fat12' ? 2 : 8) * MiB);
    await fatDriver.build(dev, memoryTree(false), {}, { type });
    const b = dev.bytes();
    seeds.push(seed(`fstool-${type}`, b, fatSites(b), metadataRanges(b, 512)));
  }
  return seeds;
}

// ---- MBR and GPT -------------------------------------------------------------------------------

function partitionDisk(join: Join, name: string, script: string, mib = 4): string {
  const img = join(`${name}.img`);
  writeFileSync(img, new Uint8Array(0));
  mustRun('truncate', ['-s', `${mib}M`, img]);
  mustRun('sfdisk', ['-q', '--no-reread', '--no-tell-kernel', img], { input: script });
  return img;
}

/** A FAT12 filesystem with the sample tree inside the partition at 1 MiB. */
function fatInPartition(img: string, src: string): void {
  mustRun('mkfs.fat', ['-F', '12', '-i', '12345678', '--offset', '2048', img, '1024']);
  fillFat(img, src, MiB);
}

/** The MBR and every EBR of the chain, with their four entries. */
async function mbrSeed(name: string, bytes: Uint8Array): Promise<Seed> {
  const table = await readMbr(new MemoryDevice(bytes));
  const sites: StructSite[] = [{ struct: mbrSector, offset: 0 }];
  for (const at of [0, ...ebrPositions(table).map((lba) => lba * 512)]) {
    for (let i = 0; i < 4; i++) sites.push({ struct: mbrEntry, offset: at + 446 + 16 * i });
  }
  return seed(name, bytes, sites);
}

async function mbrSeeds(join: Join, src: string): Promise<Seed[]> {
  const seeds: Seed[] = [];
  const primaries = partitionDisk(join, 'primaries', 'label: dos\nlabel-id: 0x12345678\n,1M,83\n,1M,c,*\n,,82\n');
  seeds.push(await mbrSeed('sfdisk-primaries', new Uint8Array(readFileSync(primaries))));
  const logicals = partitionDisk(join, 'logicals', 'label: dos\n,512K,83\n,,5\n,512K,83\n,512K,c\n,,83\n', 4);
  seeds.push(await mbrSeed('sfdisk-logicals', new Uint8Array(readFileSync(logicals))));
  const withFat = partitionDisk(join, 'withfat', 'label: dos\nstart=2048,size=2048,type=c\n');
  fatInPartition(withFat, src);
  seeds.push(await mbrSeed('sfdisk-fat12', new Uint8Array(readFileSync(withFat))));
  const dev = new MemoryDevice(4 * MiB);
  await writeMbr(dev, {
    diskSignature: 0xcafe,
    partitions: [
      { type: 'linux', firstLba: 2048, sectors: 2048 },
      { type: 'extended', firstLba: 4096, sectors: 4096 },
      { type: 'linux', logical: true, firstLba: 4096 + 63, sectors: 1024 },
      { type: 'fat32', logical: true, firstLba: 6144 + 63, sectors: 1024 },
    ],
  });
  seeds.push(await mbrSeed('fstool-mbr', dev.bytes()));
  return seeds;
}

function gptSites(bytes: Uint8Array): StructSite[] {
  const sites: StructSite[] = [
    { struct: mbrEntry, offset: 446 },
    { struct: gptHeader, offset: 512 },
    { struct: gptHeader, offset: bytes.length - 512 },
  ];
  for (let i = 0; i < 4; i++) {
    sites.push({ struct: gptEntry, offset: 1024 + i * 128 });
    sites.push({ struct: gptEntry, offset: bytes.length - 33 * 512 + i * 128 });
  }
  return sites;
}

function gptHot(bytes: Uint8Array): Array<[number, number]> {
  return [
    [0, 34 * 512],
    [bytes.length - 33 * 512, bytes.length],
  ];
}

async function gptSeeds(join: Join, src: string): Promise<Seed[]> {
  const seeds: Seed[] = [];
  const sg = join('sgdisk.img');
  mustRun('truncate', ['-s', '4M', sg]);
  mustRun('sgdisk', [
    '-q',
    '-U',
    '11111111-2222-3333-4444-555555555555',
    '-n',
    '1:2048:+1M',
    '-c',
    '1:EFI system',
    '-t',
    '1:ef00',
    '-n',
    '2:0:+512K',
    '-c',
    '2:root',
    '-t',
    '2:8300',
    '-A',
    '2:set:2',
    '-n',
    '3:0:0',
    '-t',
    '3:8200',
    sg,
  ]);
  const withFat = partitionDisk(
    join,
    'gptfat',
    'label: gpt\nstart=2048,size=2048,type=C12A7328-F81F-11D2-BA4B-00A0C93EC93B,name="esp"\n,,L\n',
  );
  fatInPartition(withFat, src);
  const small = partitionDisk(join, 'gptsmall', 'label: gpt\nfirst-lba: 34\n,100K,L\n,100K,S\n,,H\n', 2);
  for (const [name, img] of [
    ['sgdisk', sg],
    ['sfdisk-gpt-fat12', withFat],
    ['sfdisk-gpt-small', small],
  ] as const) {
    const b = new Uint8Array(readFileSync(img));
    seeds.push({ name, bytes: b, hot: gptHot(b), sites: gptSites(b) });
  }
  const dev = new MemoryDevice(4 * MiB);
  await writeGpt(dev, {
    seed: 'fuzz',
    partitions: [
      { type: 'esp', firstLba: 2048, sectors: 2048, name: 'boot' },
      { type: 'linux', firstLba: 4096, sectors: 2048, name: 'root', attributes: ['legacy-bios-bootable'] },
    ],
  });
  const b = dev.bytes();
  seeds.push({ name: 'fstool-gpt', bytes: b, hot: gptHot(b), sites: gptSites(b) });
  return seeds;
}

// ---- qcow2 -------------------------------------------------------------------------------------

function qcow2Sites(bytes: Uint8Array): StructSite[] {
  const h = headerV2.decode(bytes, 0);
  const sites: StructSite[] = [{ struct: headerV2, offset: 0 }];
  if (h.version >= 3) sites.push({ struct: headerV3, offset: 0 });
  const inFile = (off: number) => off > 0 && off + 8 <= bytes.length;
  for (let i = 0; i < Math.min(h.l1Size, 8); i++) {
    const at = h.l1TableOffset + 8 * i;
    if (!inFile(at)) break;
    sites.push({ struct: tableEntry, offset: at });
    const e = tableEntry.decode(bytes, at);
    const l2Offset = (e.hi & 0xffffff) * 2 ** 32 + (e.lo - (e.lo % 512));
    for (let j = 0; j < 16 && inFile(l2Offset + 8 * j); j++)
      sites.push({ struct: tableEntry, offset: l2Offset + 8 * j });
  }
  for (let i = 0; i < 4 && inFile(h.refcountTableOffset + 8 * i); i++) {
    sites.push({ struct: tableEntry, offset: h.refcountTableOffset + 8 * i });
  }
  return sites;
}

function qcow2Seed(name: string, bytes: Uint8Array, backing?: Uint8Array): Seed {
  return { name, bytes, hot: [[0, bytes.length]], sites: qcow2Sites(bytes), ...(backing ? { backing } : {}) };
}

async function qcow2Seeds(join: Join): Promise<Seed[]> {
  const seeds: Seed[] = [];
  const io = (img: string, ...cmds: string[]) =>
    mustRun('qemu-io', ['-f', 'qcow2', ...cmds.flatMap((c) => ['-c', c]), img]);
  const create = (img: string, opts: string, size = '4M', extra: string[] = []) =>
    mustRun('qemu-img', ['create', '-q', '-f', 'qcow2', '-o', opts, ...extra, img, size]);
  const writes = ['write -P 0x11 0 64k', 'write -P 0x22 1M 8k', 'write -z 2M 64k', 'write -P 0x33 3M 4k'];

  const small = join('small-clusters.qcow2');
  create(small, 'cluster_size=4096');
  io(small, ...writes);
  seeds.push(qcow2Seed('qemu-4k', new Uint8Array(readFileSync(small))));

  const v2 = join('v2.qcow2');
  create(v2, 'compat=0.10,cluster_size=65536');
  io(v2, ...writes);
  seeds.push(qcow2Seed('qemu-v2', new Uint8Array(readFileSync(v2))));

  const tiny = join('tiny.qcow2');
  create(tiny, 'cluster_size=512,refcount_bits=8', '2M');
  io(tiny, 'write -P 0x44 0 16k', 'write -P 0x55 1M 3k');
  seeds.push(qcow2Seed('qemu-512-rc8', new Uint8Array(readFileSync(tiny))));

  const raw = join('raw.img');
  const rawBytes = new Uint8Array(2 * MiB);
  for (let i = 0; i < rawBytes.length; i += 4096)
    rawBytes.fill((i / 4096) % 7 === 0 ? 0 : (i / 4096) & 0xff, i, i + 2048);
  writeFileSync(raw, rawBytes);
  const compressed = join('compressed.qcow2');
  mustRun('qemu-img', ['convert', '-q', '-c', '-f', 'raw', '-O', 'qcow2', '-o', 'cluster_size=4096', raw, compressed]);
  seeds.push(qcow2Seed('qemu-compressed', new Uint8Array(readFileSync(compressed))));

  const base = join('base.qcow2');
  create(base, 'cluster_size=4096', '2M');
  io(base, 'write -P 0x66 0 1M');
  const overlay = join('overlay.qcow2');
  create(overlay, 'cluster_size=4096', '2M', ['-b', 'base.qcow2', '-F', 'qcow2']);
  io(overlay, 'write -P 0x77 512k 64k');
  seeds.push(qcow2Seed('qemu-backed', new Uint8Array(readFileSync(overlay)), new Uint8Array(readFileSync(base))));

  for (const compress of [false, true]) {
    const container = new MemoryDevice(0, { growable: true });
    const q = await Qcow2Device.create(container, { virtualSize: 4 * MiB, clusterSize: 4096, compress });
    await q.write(0, new Uint8Array(8192).fill(0x12));
    await q.write(2 * MiB, new Uint8Array(4096).fill(0x34));
    await q.close();
    seeds.push(qcow2Seed(`fstool-${compress ? 'compressed' : 'plain'}`, container.bytes().slice()));
  }
  return seeds;
}
