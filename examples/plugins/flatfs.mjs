// flatfs: a complete, small fstool filesystem plugin (see docs/PLUGINS.md). It stores an 8-byte
// magic, the length of a JSON index, the index (every entry's metadata), then the file contents
// one after the other. It needs nothing but the plugin contract: no fstool import at run time.
//
//   fstool --plugin ./examples/plugins/flatfs.mjs ls disk.img:1 /
//   FSTOOL_PLUGINS=./examples/plugins/flatfs.mjs fstool extract disk.img:1 out
//
// It is read-only once built: edits (add, remove) are refused with a clear error.
const MAGIC = new TextEncoder().encode('FLATFS1\0');
const HEAD = 12;
const enc = new TextEncoder();
const dec = new TextDecoder();

async function layout(tree) {
  const entries = [];
  let data = 0;
  for await (const e of tree.entries()) {
    const { open, xattrs, ...meta } = e;
    entries.push({ ...meta, offset: data, open });
    if (e.kind === 'file') data += e.size;
  }
  const index = enc.encode(JSON.stringify(entries.map(({ open, ...m }) => m)));
  return { entries, index, size: HEAD + index.length + data };
}

async function readIndex(dev) {
  const head = new Uint8Array(HEAD);
  await dev.read(0, head);
  const len = new DataView(head.buffer).getUint32(8, true);
  if (HEAD + len > dev.size)
    throw Object.assign(new Error(`flatfs: index of ${len} bytes runs past the end`), { code: 'CORRUPT' });
  const json = new Uint8Array(len);
  await dev.read(HEAD, json);
  return { index: JSON.parse(dec.decode(json)), base: HEAD + len };
}

function notFound(path) {
  return Object.assign(new Error(`${path}: no such file or directory`), { code: 'ENOENT' });
}

function readOnly() {
  return Object.assign(new Error('flatfs is read-only once built'), { code: 'READ_ONLY' });
}

export default {
  type: 'flatfs',
  // Keys of its own in the spec's filesystem table; fstool checks them (unknown keys, types, bounds)
  // and hands the values to build() in camelCase, with the default when the spec leaves one out.
  specKeys: {
    fill: { type: 'integer', min: 0, max: 255, default: 0, description: 'the byte the space after the contents holds' },
  },
  async probe(dev) {
    if (dev.size < HEAD) return false;
    const head = new Uint8Array(MAGIC.length);
    await dev.read(0, head);
    return head.every((b, i) => b === MAGIC[i]);
  },
  async minimumSize(tree) {
    return (await layout(tree)).size;
  },
  // `dev` is exactly the filesystem's space (a partition is already cut out of the disk);
  // `opts.label` is the spec's volume_label, `opts.partitionStart` the byte offset on the disk,
  // `opts.fill` the spec's `fill` key.
  async build(dev, tree, opts, ctx) {
    const { entries, index, size } = await layout(tree);
    if (size > dev.size)
      throw Object.assign(new Error(`flatfs needs ${size} bytes, has ${dev.size}`), { code: 'ENOSPC' });
    const head = new Uint8Array(HEAD);
    head.set(MAGIC);
    new DataView(head.buffer).setUint32(8, index.length, true);
    await dev.write(0, head);
    await dev.write(HEAD, index);
    const base = HEAD + index.length;
    let done = 0;
    for (const e of entries) {
      if (e.kind !== 'file' || e.size === 0) continue;
      const src = e.open();
      const buf = new Uint8Array(e.size);
      await src.read(0, buf);
      await src.close();
      await dev.write(base + e.offset, buf);
      done += e.size;
      ctx.onProgress?.({ phase: 'data', done, total: size });
    }
    const fill = opts.fill ?? 0;
    if (fill !== 0) {
      const chunk = new Uint8Array(65536).fill(fill);
      for (let at = size; at < dev.size; at += chunk.length) {
        await dev.write(at, chunk.subarray(0, Math.min(chunk.length, dev.size - at)));
      }
    }
    return {
      type: ctx.type,
      size: dev.size,
      usedBytes: size,
      entries: entries.length,
      warnings: [],
      details: { label: opts.label, partitionStart: opts.partitionStart, fill },
    };
  },
  async open(dev) {
    const { index, base } = await readIndex(dev);
    const withContents = (e) =>
      e.kind === 'file'
        ? {
            ...e,
            open: () => ({
              async read(offset, into) {
                const n = Math.max(0, Math.min(into.length, e.size - offset));
                if (n) await dev.read(base + e.offset + offset, into.subarray(0, n));
                return n;
              },
              async close() {},
            }),
          }
        : e;
    const find = (path) => {
      const e = index.find((x) => x.path === path);
      if (!e) throw notFound(path);
      return withContents(e);
    };
    return {
      type: 'flatfs',
      writable: false,
      warnings: [],
      async info() {
        return { type: 'flatfs', size: dev.size, entries: index.length };
      },
      async stat(path) {
        return find(path);
      },
      async list(path) {
        const prefix = path === '/' ? '/' : `${path}/`;
        return index
          .filter((e) => e.path !== '/' && e.path.startsWith(prefix) && !e.path.slice(prefix.length).includes('/'))
          .map(withContents);
      },
      async *read(path) {
        const e = find(path);
        const buf = new Uint8Array(e.size);
        await dev.read(base + e.offset, buf);
        yield buf;
      },
      async add() {
        throw readOnly();
      },
      async remove() {
        throw readOnly();
      },
      async close() {},
    };
  },
};
