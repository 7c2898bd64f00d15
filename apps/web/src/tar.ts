import type { Entry, FileSystem } from '@fstool/fs';

const BLOCK = 512;
const enc = new TextEncoder();
const TYPES: Partial<Record<Entry['kind'], string>> = {
  file: '0',
  symlink: '2',
  char: '3',
  block: '4',
  dir: '5',
  fifo: '6',
};

function octal(h: Uint8Array, at: number, width: number, value: number): void {
  h.set(enc.encode(value.toString(8).padStart(width - 1, '0')), at);
}

/** One POSIX ustar header (pax extended headers carry what ustar cannot hold). */
function header(
  name: string,
  type: string,
  e: Pick<Entry, 'mode' | 'uid' | 'gid' | 'mtime' | 'rdev'>,
  size: number,
  link = '',
): Uint8Array {
  const h = new Uint8Array(BLOCK);
  h.set(enc.encode(name).subarray(0, 100), 0);
  octal(h, 100, 8, e.mode & 0o7777);
  octal(h, 108, 8, Math.min(e.uid, 0o7777777));
  octal(h, 116, 8, Math.min(e.gid, 0o7777777));
  octal(h, 124, 12, size < 8 ** 11 ? size : 0);
  octal(h, 136, 12, Math.min(Math.max(e.mtime, 0), 8 ** 11 - 1));
  h.fill(0x20, 148, 156);
  h[156] = type.charCodeAt(0);
  h.set(enc.encode(link).subarray(0, 100), 157);
  h.set(enc.encode('ustar\x0000'), 257);
  if (e.rdev) {
    octal(h, 329, 8, e.rdev.major);
    octal(h, 337, 8, e.rdev.minor);
  }
  let sum = 0;
  for (const b of h) sum += b;
  h.set(enc.encode(`${sum.toString(8).padStart(6, '0')}\x00 `), 148);
  return h;
}

/** A pax record "LEN key=value\n", where LEN counts the whole record including itself. */
function paxRecord(key: string, value: string): string {
  const body = ` ${key}=${value}\n`;
  let len = enc.encode(body).length + 1;
  while (String(len).length + enc.encode(body).length > len) len++;
  return `${len}${body}`;
}

const pad = (n: number) => new Uint8Array((BLOCK - (n % BLOCK)) % BLOCK);

/** The tar records of one entry: a pax header first when the name, link or size do not fit ustar. */
function* entryHeaders(name: string, e: Entry): Generator<Uint8Array> {
  const type = TYPES[e.kind] as string;
  const size = e.kind === 'file' ? e.size : 0;
  const link = e.kind === 'symlink' ? (e.target ?? '') : '';
  let pax = '';
  if (enc.encode(name).length > 100) pax += paxRecord('path', name);
  if (enc.encode(link).length > 100) pax += paxRecord('linkpath', link);
  if (size >= 8 ** 11) pax += paxRecord('size', String(size));
  if (pax) {
    const data = enc.encode(pax);
    yield header('PaxHeader', 'x', { mode: 0o644, uid: 0, gid: 0, mtime: e.mtime }, data.length);
    yield data;
    yield pad(data.length);
  }
  yield header(name, type, e, size, link);
}

/**
 * A folder of an opened filesystem as a tar stream (POSIX pax), one chunk at a time: names start
 * with the folder's own name, directories end in '/', sockets are left out.
 */
export async function* tarFolder(fs: FileSystem, path: string): AsyncGenerator<Uint8Array> {
  const top = path === '/' ? 'root' : (path.split('/').pop() as string);
  async function* walk(dir: string, name: string, seen: Set<number>): AsyncGenerator<Uint8Array> {
    for (const e of await fs.list(dir)) {
      const child = `${name}/${e.path.split('/').pop()}`;
      if (!TYPES[e.kind]) continue;
      yield* entryHeaders(e.kind === 'dir' ? `${child}/` : child, e);
      if (e.kind === 'file') {
        let n = 0;
        for await (const chunk of fs.read(e.path)) {
          n += chunk.length;
          yield chunk;
        }
        yield pad(n);
      } else if (e.kind === 'dir' && !(e.ino !== undefined && seen.has(e.ino))) {
        if (e.ino !== undefined) seen.add(e.ino);
        yield* walk(e.path, child, seen);
      }
    }
  }
  yield* entryHeaders(`${top}/`, await fs.stat(path));
  yield* walk(path, top, new Set());
  yield new Uint8Array(BLOCK * 2);
}
