import { type NodeRecord, snapshotTree } from '@fstool/testkit/node';
import { expect } from 'vitest';

/**
 * Checks that every entry of a source tree is in the image's tree with the same kind, contents,
 * link target and permissions; owners squashed to root and times fixed when asked.
 */
export function expectTreeHolds(
  image: NodeRecord[],
  sourceDir: string,
  opts: { squashOwner?: boolean; mtime?: number; modes?: boolean } = {},
): void {
  const byPath = new Map(image.map((r) => [r.path, r]));
  for (const src of snapshotTree(sourceDir, { xattrs: false })) {
    const got = byPath.get(src.path);
    expect(got, `${src.path} is missing from the image`).toBeDefined();
    if (!got) continue;
    expect({ path: got.path, kind: got.kind, sha256: got.sha256, target: got.target }).toEqual({
      path: src.path,
      kind: src.kind,
      sha256: src.sha256,
      target: src.target,
    });
    // Directory modes are not kept by git checkouts; device tables may change them on purpose.
    if (opts.modes !== false && src.kind !== 'dir') expect(got.mode, src.path).toBe(src.mode);
    if (opts.squashOwner) expect([got.uid, got.gid], src.path).toEqual([0, 0]);
    if (opts.mtime !== undefined && src.path !== '/')
      expect(got.mtimeNs, src.path).toBe(BigInt(opts.mtime) * 1_000_000_000n);
  }
}
