import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** A fresh temporary directory; call `cleanup()` in afterAll. */
export function tempDir(prefix = 'fstool-test-'): {
  path: string;
  join: (...p: string[]) => string;
  cleanup: () => void;
} {
  const path = mkdtempSync(join(tmpdir(), prefix));
  return { path, join: (...p) => join(path, ...p), cleanup: () => rmSync(path, { recursive: true, force: true }) };
}
