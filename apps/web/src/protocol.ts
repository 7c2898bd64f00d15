import type { Entry, Progress } from '@fstool/fs';
import type { DroppedFile } from './files.js';

/** An Entry as it crosses to the page (no content opener). */
export type EntryInfo = Omit<Entry, 'open'>;

/** What the page asks the worker to do; each op's arguments and answer. */
export interface Ops {
  build: {
    args: { spec: string; files: DroppedFile[]; dirs: string[]; format: 'raw' | 'qcow2' };
    result: { file: File; size: number; format: string; table?: string; warnings: string[]; storage: string };
  };
  open: { args: { file: File }; result: { info: unknown; format: string } };
  list: { args: { volume: number; path: string }; result: EntryInfo[] };
  stat: { args: { volume: number; path: string }; result: EntryInfo };
  head: { args: { volume: number; path: string; max: number }; result: Uint8Array };
  download: { args: { volume: number; path: string }; result: Blob };
  tar: { args: { volume: number; path: string }; result: Blob };
  add: { args: { volume: number; dir: string; files: File[] }; result: null };
  mkdir: { args: { volume: number; path: string }; result: null };
  remove: { args: { volume: number; path: string }; result: null };
  rename: { args: { volume: number; from: string; to: string }; result: null };
  save: { args: { name: string }; result: File };
}

export type Op = keyof Ops;
export type Request = { [K in Op]: { id: number; op: K; args: Ops[K]['args'] } }[Op];
export type Reply =
  | { id: number; ok: true; value: unknown }
  | { id: number; ok: false; error: { name: string; message: string } }
  | { id: number; progress: Progress & { volume: number } };
