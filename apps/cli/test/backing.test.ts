/**
 * qcow2 backing files and the CLI: a downloaded image naming a host file as its backing file must
 * not copy that file into `cat`/`convert` output unless the user allows it; `info` shows the chain.
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { haveTools, mustRun, tempDir } from '@fstool/testkit/node';
import { afterAll, describe, expect, it } from 'vitest';
import { cli } from './run-cli.js';

describe.skipIf(!haveTools('qemu-img', 'mkfs.fat', 'mcopy'))('backing-file policy at the command line', () => {
  const tmp = tempDir('cli-backing-');
  afterAll(() => tmp.cleanup());
  mkdirSync(tmp.join('dl'));
  mkdirSync(tmp.join('host'));
  // The "host file": a FAT image holding a secret, outside the downloaded image's directory.
  const base = tmp.join('host/base.img');
  mustRun('mkfs.fat', ['-C', base, '1024']);
  writeFileSync(tmp.join('secret.txt'), 'host secret\n');
  mustRun('mcopy', ['-i', base, tmp.join('secret.txt'), '::/secret.txt']);
  const img = tmp.join('dl/overlay.qcow2');
  mustRun('qemu-img', ['create', '-q', '-f', 'qcow2', '-b', '../host/base.img', '-F', 'raw', img]);

  it('cat and convert refuse a backing file outside the image directory (exit 2, naming it)', async () => {
    const cat = await cli('cat', img, '/secret.txt');
    expect(cat.code).toBe(2);
    expect(cat.err).toMatch(/backing file "\.\.\/host\/base\.img".*outside.*--backing-allow/);
    expect(cat.bytes.length).toBe(0);
    const out = tmp.join('dl/out.raw');
    const convert = await cli('convert', img, out);
    expect(convert.code).toBe(2);
    expect(() => readFileSync(out)).toThrow();
  });

  it('--backing-allow PATH and --allow-any-backing follow it; --no-backing reads the overlay alone', async () => {
    for (const flags of [['--backing-allow', tmp.join('host')], ['--allow-any-backing']]) {
      const r = await cli('cat', ...flags, img, '/secret.txt');
      expect({ code: r.code, out: r.bytes.toString() }).toEqual({ code: 0, out: 'host secret\n' });
    }
    const alone = await cli('ls', '--no-backing', img);
    expect(alone.code).toBe(2); // zeros: no filesystem without the base
    expect(alone.err).not.toMatch(/backing/);
    const rm = await cli('rm', '--no-backing', img, '/secret.txt');
    expect(rm.code).toBe(2);
    expect(rm.err).toMatch(/writing needs it/);
  });

  it('info shows the container and the chain, even when the backing file is refused', async () => {
    const refused = await cli('info', img);
    expect(refused.code).toBe(2);
    expect(refused.out).toMatch(/format: +qcow2/);
    expect(refused.out).toMatch(/backing: +\.\.\/host\/base\.img -> .*host\/base\.img \(refused: .*outside/);
    const allowed = await cli('info', '--json', '--backing-allow', base, img);
    expect(allowed.code).toBe(0);
    expect(JSON.parse(allowed.out).container.backingChain).toEqual([
      { name: '../host/base.img', path: base, format: 'raw', status: 'followed' },
    ]);
  });
});
