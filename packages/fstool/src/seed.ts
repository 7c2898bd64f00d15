import { v5 as uuidv5 } from 'uuid';

/** Namespace for fstool's derived identifiers (a fixed, arbitrary v4 UUID). */
const NAMESPACE = '3c6f8a52-5d1e-4b8e-9a57-0f3d2b7c9e41';

/**
 * Identifiers derived from one seed, systemd-repart style: the same seed and purpose always give
 * the same id, different purposes give unrelated ids. `parts` name the purpose, e.g.
 * ('partition', 'root', 'guid') or ('filesystem', 2, 'uuid').
 */
export function deriveUuid(seed: string, ...parts: Array<string | number>): string {
  return uuidv5([seed, ...parts].join('\0'), NAMESPACE);
}

/** A derived 32-bit number (FAT volume id, MBR disk signature); never 0. */
export function deriveU32(seed: string, ...parts: Array<string | number>): number {
  const hex = deriveUuid(seed, ...parts).replace(/-/g, '');
  return Number.parseInt(hex.slice(0, 8), 16) || 1;
}
