import { describe, expect, it } from 'vitest';
import pkg from '../package.json' with { type: 'json' };
import { cli } from './run-cli.js';

describe('fstool', () => {
  it('prints its version', async () => {
    const r = await cli('--version');
    expect(r.code).toBe(0);
    expect(r.out.trim()).toBe(pkg.version);
  });

  it('prints help', async () => {
    const r = await cli('--help');
    expect(r.code).toBe(0);
    expect(r.out).toContain('Usage: fstool');
  });

  it('rejects an unknown command with exit 2 and a usage hint', async () => {
    const r = await cli('frobnicate');
    expect(r.code).toBe(2);
    expect(r.err).toContain('fstool --help');
  });
});
