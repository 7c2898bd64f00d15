import { readFileSync } from 'node:fs';
import { MemoryDevice } from '@fstool/blockdev';
import { haveTools, tempDir } from '@fstool/testkit/node';
import { afterAll, describe, expect, it } from 'vitest';
import { openExt } from '../src/read/index.js';
import { fileEntry, InterceptingDevice } from './edit-helpers.js';
import { makeImage, makeSourceTree } from './read-fixtures.js';

class Fault extends Error {}

/** Fails exactly one write (the `at`-th), as a transient I/O error; the others go through. */
class OneFault extends InterceptingDevice {
  writes = 0;
  constructor(
    inner: MemoryDevice,
    private readonly at: number,
  ) {
    super(inner);
  }
  async write(offset: number, data: Uint8Array) {
    if (this.writes++ === this.at) throw new Fault('I/O error');
    await this.inner.write(offset, data);
  }
}

const dir = { path: '/d', kind: 'dir', mode: 0o755, uid: 0, gid: 0, mtime: 0, size: 0 } as const;

describe.skipIf(!haveTools('mke2fs'))('an edit that fails', () => {
  const tmp = tempDir('ext-failure-');
  afterAll(() => tmp.cleanup());

  it('leaves no remembered directory behind: a later add under it lands where the tree shows it', async () => {
    const src = tmp.join('tree');
    makeSourceTree(src);
    const img = tmp.join('ext2.img');
    makeImage(img, src, { type: 'ext2', args: ['-b', '1024'], size: '8M' });
    const bytes = new Uint8Array(readFileSync(img));
    const count = new OneFault(new MemoryDevice(bytes.slice()), -1);
    const probe = await openExt(count, { writable: true, now: 1_700_000_000 });
    await probe.add('/d', dir);
    await probe.close();
    expect(count.writes).toBeGreaterThan(1);
    let failures = 0;
    for (let at = 0; at < count.writes; at++) {
      const dev = new OneFault(new MemoryDevice(bytes.slice()), at);
      const fs = await openExt(dev, { writable: true, now: 1_700_000_000 });
      // The last writes belong to close(): then the mkdir itself succeeds.
      await fs.add('/d', dir).catch((err: unknown) => {
        expect(err, `fault at write ${at}`).toBeInstanceOf(Fault);
        failures++;
      });
      const added = await fs.add('/d/f', fileEntry('/d/f', new TextEncoder().encode('hi'))).then(
        () => true,
        () => false,
      );
      await fs.close().catch(() => undefined);
      // Whatever the failed mkdir left, a file reported as added is reachable from the root.
      const after = await openExt(new MemoryDevice(dev.inner.bytes()));
      const found = await after.stat('/d/f').then(
        () => true,
        () => false,
      );
      expect(found, `fault at write ${at}: add reported ${added}`).toBe(added);
    }
    expect(failures).toBeGreaterThan(1);
  });
});
