/**
 * Host xattrs through the `xattrs` spec key: by default user.*, trusted.* and security.*
 * (capabilities, labels); 'user', 'none', and 'all' (adds POSIX ACLs). Repack keeps them all.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { e2fsckNoise, haveTools, mustRun, tempDir, withLoopMount } from '@fstool/testkit/node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createRegistry } from '../src/index.js';
import { buildSpecFile, repack } from '../src/node.js';

/** VFS form of an ACL: version 2, then (tag, perm, id) for owner, user 1000, group, mask, other. */
const ACL = `struct.pack('<I',2)+b''.join(struct.pack('<HHI',*e) for e in [(1,7,0xffffffff),(2,4,1000),(4,5,0xffffffff),(0x10,7,0xffffffff),(0x20,4,0xffffffff)])`;
/** security.capability v2 with cap_net_raw permitted and effective (what `setcap cap_net_raw+ep` writes). */
const CAP = `bytes([1,0,0,2, 0,0x20,0,0, 0,0,0,0, 0,0,0,0, 0,0,0,0])`;

const names = (img: string) =>
  [...mustRun('debugfs', ['-R', 'ea_list /ping', img]).matchAll(/^\s+(\S+) \(\d+\)/gm)].map((m) => m[1]).sort();

describe.skipIf(!haveTools('debugfs', 'e2fsck', 'python3'))('host xattrs in ext builds', () => {
  const tmp = tempDir('fstool-xattrs-');
  const src = tmp.join('src');
  afterAll(() => tmp.cleanup());
  beforeAll(() => {
    mkdirSync(src);
    writeFileSync(`${src}/ping`, 'ping\n');
    mustRun('python3', [
      '-c',
      `import os,struct,sys; p=sys.argv[1]
os.setxattr(p,'user.note',b'u'); os.setxattr(p,'trusted.note',b't')
os.setxattr(p,'security.capability',${CAP}); os.setxattr(p,'system.posix_acl_access',${ACL})`,
      `${src}/ping`,
    ]);
  });

  const build = async (policy: string | undefined) => {
    const spec = tmp.join(`${policy ?? 'default'}.toml`);
    writeFileSync(
      spec,
      `[filesystem]\ntype = "ext4"\nsource = "${src}"\nsize = "8MiB"\n${policy ? `xattrs = "${policy}"\n` : ''}`,
    );
    const r = await buildSpecFile(spec, { output: tmp.join(`${policy ?? 'default'}.img`), registry: createRegistry() });
    expect(e2fsckNoise(r.output)).toEqual([]);
    return r.output;
  };

  it('keeps user.*, trusted.* and security.* by default; the kernel sees the capability', async () => {
    const img = await build(undefined);
    expect(names(img)).toEqual(['security.capability', 'trusted.note', 'user.note']);
    const cap = await withLoopMount(img, (mnt) =>
      mustRun('python3', [
        '-c',
        'import os,sys; print(os.getxattr(sys.argv[1], "security.capability").hex())',
        `${mnt}/ping`,
      ]).trim(),
    );
    if (cap !== undefined) expect(cap).toBe('0100000200200000000000000000000000000000');
  });

  it('xattrs = "user" and "none" copy less; "all" adds the POSIX ACL', async () => {
    expect(names(await build('user'))).toEqual(['user.note']);
    expect(names(await build('none'))).toEqual([]);
    expect(names(await build('all'))).toEqual([
      'security.capability',
      'system.posix_acl_access',
      'trusted.note',
      'user.note',
    ]);
  });

  it('repack keeps every xattr', async () => {
    const out = tmp.join('repacked.img');
    await repack(await build('all'), out, { registry: createRegistry() });
    expect(e2fsckNoise(out)).toEqual([]);
    expect(names(out)).toEqual(['security.capability', 'system.posix_acl_access', 'trusted.note', 'user.note']);
  });
});
