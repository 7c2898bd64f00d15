import { MemoryDevice, type ResizableDevice } from '@fstool/blockdev';
import { OpfsDevice, type SyncAccessHandle } from './devices.js';

interface OpfsFileHandle {
  createSyncAccessHandle(): Promise<SyncAccessHandle>;
  getFile(): Promise<File>;
}

interface OpfsDirectory {
  getFileHandle(name: string, opts?: { create?: boolean }): Promise<OpfsFileHandle>;
  removeEntry(name: string): Promise<void>;
}

/** A scratch file for an output image: on disk in OPFS when the browser has it, else in memory. */
export interface Scratch {
  device: ResizableDevice;
  /** Where the bytes live: 'opfs' (on disk) or 'memory'. */
  storage: 'opfs' | 'memory';
  /** The finished image as a File (call after the device is closed). */
  file(name: string): Promise<File>;
}

async function opfsRoot(): Promise<OpfsDirectory | undefined> {
  const storage = (globalThis.navigator as unknown as { storage?: { getDirectory?: () => Promise<OpfsDirectory> } })
    .storage;
  try {
    return await storage?.getDirectory?.();
  } catch {
    return undefined;
  }
}

let counter = 0;
const live = new Set<string>();

/**
 * A fresh, empty scratch file. Earlier OPFS scratches of the same `kind` are removed first but
 * for the newest `keep` (a removed file's Files become unreadable).
 */
export async function scratch(kind: string, keep = 0): Promise<Scratch> {
  const root = await opfsRoot();
  const handleOf = async (name: string) => {
    const fh = await root?.getFileHandle(name, { create: true });
    return fh && 'createSyncAccessHandle' in fh ? { fh, access: await fh.createSyncAccessHandle() } : undefined;
  };
  const older = [...live].filter((n) => n.startsWith(`${kind}-`));
  for (const old of older.slice(0, Math.max(0, older.length - keep))) {
    live.delete(old);
    await root?.removeEntry(old).catch(() => {});
  }
  const name = `${kind}-${Date.now()}-${counter++}`;
  const opened = root ? await handleOf(name).catch(() => undefined) : undefined;
  if (opened) {
    live.add(name);
    opened.access.truncate(0);
    return {
      device: new OpfsDevice(opened.access),
      storage: 'opfs',
      file: async (as) => {
        const f = await opened.fh.getFile();
        return new File([f], as, { type: 'application/octet-stream' });
      },
    };
  }
  const device = new MemoryDevice(0, { growable: true });
  return {
    device,
    storage: 'memory',
    file: async (as) => new File([device.bytes() as Uint8Array<ArrayBuffer>], as, { type: 'application/octet-stream' }),
  };
}
