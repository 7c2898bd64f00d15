/** Which feature bits an image may have to be opened, and to be written. */
import { NeedsRepairError, Qcow2UnsupportedError } from './errors.js';
import { Incompatible, type Qcow2Header } from './format/header.js';

const SUPPORTED_INCOMPATIBLE = new Set<number>([
  Incompatible.dirty,
  Incompatible.corrupt,
  Incompatible.compressionType,
]);

/** Refuses images whose incompatible features this implementation cannot read. */
export function refuseIncompatible(h: Qcow2Header): void {
  if (h.incompatible.includes(Incompatible.externalData)) {
    throw new Qcow2UnsupportedError('qcow2 images with an external data file are not supported');
  }
  if (h.incompatible.includes(Incompatible.extendedL2)) {
    throw new Qcow2UnsupportedError('qcow2 images with extended L2 entries (subclusters) are not supported');
  }
  const unknown = h.incompatible.filter((b) => !SUPPORTED_INCOMPATIBLE.has(b));
  if (unknown.length > 0) {
    throw new Qcow2UnsupportedError(`qcow2 image uses unknown incompatible feature bits ${unknown.join(', ')}`);
  }
}

/**
 * Refuses writes where they could corrupt the image (marked corrupt, snapshots). Lazy refcounts
 * need nothing: this implementation always keeps refcounts current, and an image left dirty is
 * rebuilt on open, as QEMU does.
 */
export function refuseUnsafeWrites(h: Qcow2Header): void {
  if (h.incompatible.includes(Incompatible.corrupt)) {
    throw new NeedsRepairError(
      'qcow2 image is marked corrupt; repair it with `qemu-img check -r all IMAGE` (or open it read-only)',
    );
  }
  if (h.nbSnapshots > 0) {
    throw new Qcow2UnsupportedError(`writing qcow2 images with internal snapshots is not supported (${h.nbSnapshots})`);
  }
}
