/**
 * A read-only consistency check (`fstool check`), the questions fsck.fat asks: the FAT copies
 * agree; every chain reached from the root is valid (in range, no loop, no free or bad cluster),
 * claimed once, and as long as its file's size needs; no cluster is in use without an owner.
 */
import type { BlockDevice } from '@fstool/blockdev';
import type { CheckReport, Entry, FileSystem } from '@fstool/fs';
import type { Volume } from './boot.js';
import { BAD } from './fat-entries.js';
import type { FatTable } from './fat-table.js';

/** Reports stop growing here: a badly damaged volume would otherwise print forever. */
const MAX_PROBLEMS = 200;

export async function checkFat(fs: FileSystem, dev: BlockDevice, vol: Volume, fat: FatTable): Promise<CheckReport> {
  const problems: string[] = [];
  const report = (m: string) => {
    if (problems.length < MAX_PROBLEMS) problems.push(m);
  };
  const bytes = vol.fatSectors * vol.sectorSize;
  const first = new Uint8Array(bytes);
  await dev.read(vol.reservedSectors * vol.sectorSize, first);
  for (let k = 1; k < vol.numFats; k++) {
    const copy = new Uint8Array(bytes);
    await dev.read((vol.reservedSectors + k * vol.fatSectors) * vol.sectorSize, copy);
    const at = copy.findIndex((b, i) => b !== first[i]);
    if (at >= 0) report(`FAT copy ${k + 1} differs from the first at byte ${at}`);
  }

  const claimed = new Map<number, string>();
  const claim = (start: number, path: string, size: number | undefined): void => {
    let count = 0;
    try {
      for (const r of fat.runs(start, path))
        for (let c = r.cluster; c < r.cluster + r.count; c++) {
          count++;
          const owner = claimed.get(c);
          if (owner !== undefined) report(`${path}: cluster ${c} is also in ${owner} (cross-linked)`);
          else claimed.set(c, path);
        }
    } catch (err) {
      report((err as Error).message);
      return;
    }
    const need = size === undefined ? Math.max(count, 1) : Math.ceil(size / vol.clusterSize);
    if (count !== need) report(`${path}: ${size} bytes need ${need} clusters, its chain has ${count}`);
  };

  if (vol.fatType === 32) claim(vol.rootCluster, '/', undefined);
  let entries = 0;
  const walk = async (dir: string, seen: Set<number>): Promise<void> => {
    for (const e of await fs.list(dir)) {
      entries++;
      const cluster = clusterOf(e);
      if (e.kind === 'dir') {
        if (cluster === undefined || seen.has(cluster)) {
          report(
            `${e.path}: ${cluster === undefined ? 'directory has no first cluster' : `directory loops back to cluster ${cluster}`}`,
          );
          continue;
        }
        claim(cluster, e.path, undefined);
        await walk(e.path, new Set([...seen, cluster]));
      } else if (cluster !== undefined) claim(cluster, e.path, e.size);
      else if (e.size > 0) report(`${e.path}: ${e.size} bytes but no clusters`);
    }
  };
  await walk('/', new Set([vol.fatType === 32 ? vol.rootCluster : 0]));

  let lost = 0;
  for (let c = 2; c <= vol.clusters + 1; c++) {
    const v = fat.get(c);
    if (v !== 0 && v !== BAD[vol.fatType] && !claimed.has(c)) lost++;
  }
  if (lost) report(`${lost} clusters are in use but belong to no file (lost clusters)`);
  return { problems, checked: `${vol.numFats} FATs, ${entries} entries, ${claimed.size} clusters in use` };
}

/** The first cluster an entry's `ino` carries (empty files are numbered above every cluster). */
function clusterOf(e: Entry): number | undefined {
  return e.ino !== undefined && e.ino >= 2 && e.ino < 2 ** 32 ? e.ino : undefined;
}
