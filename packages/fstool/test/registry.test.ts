import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { MemoryDevice } from '@fstool/blockdev';
import { treeFromEntries } from '@fstool/fs';
import { inCI, tempDir, traceModules } from '@fstool/testkit/node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createRegistry } from '../src/registry.js';

const tmp = tempDir('fstool-registry-');
afterAll(() => tmp.cleanup());

const tree = () => treeFromEntries([{ path: '/hello', kind: 'file', mode: 0o644, uid: 0, gid: 0, mtime: 0, size: 0 }]);

/** A fresh device of `size` bytes holding a `type` filesystem built by the registry's driver. */
async function built(type: string, size: number): Promise<MemoryDevice> {
  const dev = new MemoryDevice(size);
  await createRegistry().get(type).build(dev, tree(), {}, { type });
  return dev;
}

describe('createRegistry', () => {
  it('knows the built-in types and their aliases', () => {
    expect(createRegistry().types()).toEqual(['ext2', 'ext3', 'ext4', 'fat', 'fat12', 'fat16', 'fat32', 'vfat']);
  });

  it('probes each built-in filesystem to its own driver, which then opens it', async () => {
    for (const [type, driver] of [
      ['ext4', 'ext4'],
      ['vfat', 'vfat'],
    ] as const) {
      const registry = createRegistry();
      const dev = await built(type, 4 * 2 ** 20);
      const found = await registry.probe(dev);
      expect(found?.type).toBe(driver);
      const fs = await found?.open(dev, { writable: false });
      expect((await fs?.list('/'))?.map((e) => e.path)).toContain('/hello');
      await fs?.close();
    }
    expect(await createRegistry().probe(new MemoryDevice(4 * 2 ** 20))).toBeUndefined();
  });
});

// The built entry, as a user's process loads it: needs `pnpm build` (CI builds before testing).
const dist = join(import.meta.dirname, '..', 'dist', 'registry.js');
if (!existsSync(dist) && inCI) throw new Error('packages/fstool/dist is missing: CI must build before testing');

describe.skipIf(!existsSync(dist))('only the driver an image needs is loaded', () => {
  const images: Record<string, string> = {};
  beforeAll(async () => {
    for (const type of ['ext4', 'vfat']) {
      images[type] = tmp.join(`small.${type}`);
      writeFileSync(images[type], (await built(type, 4 * 2 ** 20)).bytes());
    }
  });

  /** Probes and lists `path` in a new node process; the package-relative modules it loaded. */
  async function openIn(path: string) {
    const script = `
      import { FileDevice } from '@fstool/blockdev/node';
      import { createRegistry } from 'fstool/registry';
      const dev = await FileDevice.open(${JSON.stringify(path)});
      const driver = await createRegistry().probe(dev);
      const fs = await driver.open(dev, { writable: false });
      console.log(driver.type, (await fs.stat('/hello')).kind);
      await fs.close();
      await dev.close();`;
    const r = await traceModules(['--input-type=module', '-e', script], { cwd: join(import.meta.dirname, '..') });
    expect(r.code, r.err).toBe(0);
    const packages = r.modules.map((m) => m.split('/packages/')[1] ?? m);
    return { out: r.out, packages };
  }

  it('an ext image: the ext reader only, no FAT volume code and no ext builder or editor', async () => {
    const { out, packages } = await openIn(images.ext4 as string);
    expect(out).toBe('ext4 file\n');
    expect(packages).toContain('ext/dist/read/open.js');
    expect(packages.filter((m) => /^fat\/dist\/(volume|build|write|plan)\.js$/.test(m))).toEqual([]);
    expect(packages.filter((m) => /^ext\/dist\/(build\.js|write\/|plan\/|edit\/)/.test(m))).toEqual([]);
  });

  it('a FAT image: ext is only probed, never opened', async () => {
    const { out, packages } = await openIn(images.vfat as string);
    expect(out).toBe('vfat file\n');
    expect(packages).toContain('fat/dist/volume.js');
    expect(packages).toContain('ext/dist/read/probe.js');
    expect(packages.filter((m) => /^ext\/dist\/(read\/open|read\/volume|build)\.js$/.test(m))).toEqual([]);
    expect(packages.filter((m) => /^fat\/dist\/(build|write)\.js$/.test(m))).toEqual([]);
  });
});
