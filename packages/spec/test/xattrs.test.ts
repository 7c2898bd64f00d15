import { describe, expect, it } from 'vitest';
import { parseSpec } from '../src/index.js';

const fs = (extra: string) => parseSpec(`[filesystem]\ntype = "ext4"\n${extra}`, 'a.toml');

describe('the xattrs key', () => {
  it('takes all, user or none; unset leaves the default to the facade', () => {
    for (const v of ['all', 'user', 'none'] as const) {
      const spec = fs(`xattrs = "${v}"\n`);
      expect(spec.kind === 'filesystem' && spec.filesystem.xattrs).toBe(v);
    }
    const spec = fs('');
    expect(spec.kind === 'filesystem' && spec.filesystem.xattrs).toBeUndefined();
  });

  it('names the key, the line and the allowed values for anything else', () => {
    expect(() => fs('xattrs = "security"\n')).toThrow(/^a\.toml:3: filesystem\.xattrs: .*"all".*"user".*"none"/);
  });
});
