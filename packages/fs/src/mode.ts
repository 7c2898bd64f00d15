import type { EntryKind } from './entry.js';

/** File-type bits of st_mode (the same numbers in ext, Linux and POSIX tar). */
export const S_IFMT = 0o170000;
export const S_IFSOCK = 0o140000;
export const S_IFLNK = 0o120000;
export const S_IFREG = 0o100000;
export const S_IFBLK = 0o060000;
export const S_IFDIR = 0o040000;
export const S_IFCHR = 0o020000;
export const S_IFIFO = 0o010000;

const TYPE_BITS: Record<EntryKind, number> = {
  socket: S_IFSOCK,
  symlink: S_IFLNK,
  file: S_IFREG,
  block: S_IFBLK,
  dir: S_IFDIR,
  char: S_IFCHR,
  fifo: S_IFIFO,
};

/** The st_mode type bits for a kind. */
export function typeBits(kind: EntryKind): number {
  return TYPE_BITS[kind];
}

const KIND_BY_BITS = new Map(Object.entries(TYPE_BITS).map(([kind, bits]) => [bits, kind as EntryKind]));

/** The kind encoded in st_mode's type bits, or undefined for an unknown type. */
export function kindFromMode(mode: number): EntryKind | undefined {
  return KIND_BY_BITS.get(mode & S_IFMT);
}

/** `ls -l` style mode string, e.g. 'drwxr-xr-x', '-rwsr-xr-x', 'lrwxrwxrwx'. */
export function formatMode(kind: EntryKind, mode: number): string {
  const lead = { file: '-', dir: 'd', symlink: 'l', char: 'c', block: 'b', fifo: 'p', socket: 's' }[kind];
  const rwx = (bits: number, special: boolean, on: string, off: string) =>
    (bits & 4 ? 'r' : '-') + (bits & 2 ? 'w' : '-') + (bits & 1 ? (special ? on : 'x') : special ? off : '-');
  return (
    lead +
    rwx((mode >> 6) & 7, (mode & 0o4000) !== 0, 's', 'S') +
    rwx((mode >> 3) & 7, (mode & 0o2000) !== 0, 's', 'S') +
    rwx(mode & 7, (mode & 0o1000) !== 0, 't', 'T')
  );
}
