// A minimal third-party filesystem plugin for the tests: "flatfs" stores a JSON index of the
// entries after an 8-byte magic and the file contents after it. It uses only the plugin contract.
const MAGIC = new TextEncoder().encode('FLATFS1\0');
const enc = new TextEncoder();
const dec = new TextDecoder();

async function readIndex(dev) {
  const head = new Uint8Array(12);
  await dev.read(0, head);
  const len = new DataView(head.buffer).getUint32(8, true);
  const json = new Uint8Array(len);
  await dev.read(12, json);
  return JSON.parse(dec.decode(json));
}

async function layout(tree) {
  const entries = [];
  let data = 0;
  for await (const e of tree.entries()) {
    const { open, xattrs, ...meta } = e;
    entries.push({ ...meta, offset: data, open });
    if (e.kind === 'file') data += e.size;
  }
  const index = enc.encode(JSON.stringify(entries.map(({ open, ...m }) => m)));
  return { entries, index, size: 12 + index.length + data };
}

export default {
  type: 'flatfs',
  async probe(dev) {
    if (dev.size < 12) return false;
    const head = new Uint8Array(8);
    await dev.read(0, head);
    return head.every((b, i) => b === MAGIC[i]);
  },
  async minimumSize(tree) {
    return (await layout(tree)).size;
  },
  async build(dev, tree, opts, ctx) {
    const { entries, index, size } = await layout(tree);
    if (size > dev.size) throw new Error(`flatfs needs ${size} bytes, has ${dev.size}`);
    const head = new Uint8Array(12);
    head.set(MAGIC);
    new DataView(head.buffer).setUint32(8, index.length, true);
    await dev.write(0, head);
    await dev.write(12, index);
    const base = 12 + index.length;
    for (const e of entries) {
      if (e.kind !== 'file' || e.size === 0) continue;
      const src = e.open();
      const buf = new Uint8Array(e.size);
      await src.read(0, buf);
      await src.close();
      await dev.write(base + e.offset, buf);
    }
    return {
      type: ctx.type,
      size: dev.size,
      usedBytes: size,
      entries: entries.length,
      warnings: [],
      details: { label: opts.label },
    };
  },
  async open(dev) {
    const index = await readIndex(dev);
    const head = new Uint8Array(12);
    await dev.read(0, head);
    const base = 12 + new DataView(head.buffer).getUint32(8, true);
    const find = (path) => {
      const e = index.find((x) => x.path === path);
      if (!e) throw Object.assign(new Error(`${path}: no such file or directory`), { code: 'ENOENT' });
      return e;
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
        return index.filter(
          (e) => e.path !== '/' && e.path.startsWith(prefix) && !e.path.slice(prefix.length).includes('/'),
        );
      },
      async *read(path) {
        const e = find(path);
        const buf = new Uint8Array(e.size);
        await dev.read(base + e.offset, buf);
        yield buf;
      },
      async add() {
        throw new Error('flatfs is read-only');
      },
      async remove() {
        throw new Error('flatfs is read-only');
      },
      async close() {},
    };
  },
};
