import { createRequire } from 'node:module';
import { UnsupportedError } from '../errors.js';
import { compareNames } from '../path.js';
import { hostError } from './errors.js';

/**
 * Which host xattrs a scan copies. 'default' takes user.*, trusted.* and security.*: file
 * capabilities (security.capability on ping and the like) and labels set on a source tree are its
 * author's intent, and `mke2fs -d` keeps them too. 'user' takes user.* only (a tree whose labels
 * are the build host's, not the image's). 'all' adds system.*: POSIX ACLs, which the Linux VFS
 * hands out as system.posix_acl_access/default and the ext writer stores in ext's own ACL form.
 * Unprivileged scans see no trusted.* attributes (the kernel lists them to CAP_SYS_ADMIN only).
 */
export type XattrPolicy = 'none' | 'user' | 'default' | 'all';

const DEFAULT_NAMESPACES = ['user.', 'trusted.', 'security.'];

interface XattrModule {
  listAttributesSync(path: string): string[];
  getAttributeSync(path: string, name: string): Uint8Array | null;
}

let loaded: XattrModule | undefined;

/** The optional native helper, loaded on first use. */
function xattrModule(): XattrModule {
  if (loaded) return loaded;
  try {
    loaded = createRequire(import.meta.url)('@napi-rs/xattr') as XattrModule;
    return loaded;
  } catch (e) {
    throw new UnsupportedError(
      `reading host xattrs needs the optional dependency @napi-rs/xattr, which is not available here (${(e as Error).message}); install it or scan with xattrs: 'none'`,
    );
  }
}

/** Reads one host path's xattrs (sorted by name), or undefined when it has none to copy. */
export type XattrReader = (path: string) => Map<string, Uint8Array> | undefined;

/** A reader for one policy, or undefined for 'none' (fails early when the helper is missing). */
export function xattrReader(policy: XattrPolicy): XattrReader | undefined {
  if (policy === 'none') return undefined;
  const mod = xattrModule();
  // @napi-rs/xattr calls llistxattr/lgetxattr: a symlink's own attributes, never its target's.
  return (path) => {
    let names: string[];
    try {
      names = mod.listAttributesSync(path);
    } catch (e) {
      if (/os error (95|61)\b/.test((e as Error).message)) return undefined; // ENOTSUP / ENODATA
      throw hostError(withCode(e), path, 'list its xattrs');
    }
    if (policy === 'user') names = names.filter((n) => n.startsWith('user.'));
    else if (policy === 'default') names = names.filter((n) => DEFAULT_NAMESPACES.some((ns) => n.startsWith(ns)));
    if (names.length === 0) return undefined;
    const out = new Map<string, Uint8Array>();
    for (const name of names.sort(compareNames)) {
      let value: Uint8Array | null;
      try {
        value = mod.getAttributeSync(path, name);
      } catch (e) {
        throw hostError(withCode(e), path, `read its xattr ${name}`);
      }
      // Gone between list and get: it is not there any more.
      if (value) out.set(name, new Uint8Array(value.buffer, value.byteOffset, value.byteLength));
    }
    return out.size ? out : undefined;
  };
}

const ERRNO: Record<string, string> = { '2': 'ENOENT', '13': 'EACCES', '1': 'EPERM', '5': 'EIO' };

/** The native helper reports errno only in its message ("… (os error 2)"). */
function withCode(e: unknown): unknown {
  const m = /os error (\d+)/.exec((e as Error).message ?? '');
  const code = m ? ERRNO[m[1]!] : undefined;
  return code ? Object.assign(new Error((e as Error).message), { code }) : e;
}
