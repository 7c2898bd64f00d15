/**
 * GUIDs for new tables: reproducible ones (uuid v5 of the labels under a namespace made from the
 * seed) or random ones. Apart from guid.ts so that reading a table never loads uuid.
 */
import { v4, v5 } from 'uuid';

/**
 * A GUID that depends only on `seed` and `labels`: v5(labels joined by '/', v5(seed, URL namespace)).
 * The same seed gives the same disk on every build; different labels give unrelated GUIDs.
 */
export function deriveGuid(seed: string, ...labels: string[]): string {
  return v5(labels.join('/'), v5(seed, v5.URL)).toUpperCase();
}

/** A random (v4) GUID, for when the caller gave no seed. */
export function randomGuid(): string {
  return v4().toUpperCase();
}
