import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { safeParseSpec } from '../src/index.js';

const readme = readFileSync(new URL('../README.md', import.meta.url), 'utf8');
const examples = [...readme.matchAll(/```toml\n([\s\S]*?)```/g)].map((m) => m[1]!);

describe('README examples', () => {
  it('has examples', () => {
    expect(examples.length).toBeGreaterThanOrEqual(3);
  });
  it.each(examples.map((text, i) => [i, text] as const))('example %d is a valid spec', (_, text) => {
    expect(safeParseSpec(text)).toMatchObject({ ok: true });
  });
});
