import { readdirSync } from 'node:fs';
import { defineConfig } from 'vitest/config';

// Tests run against sources through the `@fstool/source` export condition: no build needed.
const conditions = ['@fstool/source'];
const roots = ['packages', 'apps'].flatMap((top) => readdirSync(top).map((name) => `${top}/${name}`));

export default defineConfig({
  resolve: { conditions },
  ssr: { resolve: { conditions } },
  test: {
    reporters: ['default', './scripts/summary-reporter.ts'],
    testTimeout: 120_000,
    hookTimeout: 120_000,
    projects: [
      ...roots.map((root) => ({
        extends: true,
        test: {
          name: root.split('/')[1] ?? root,
          root,
          include: ['test/**/*.test.ts'],
          benchmark: { include: ['bench/**/*.bench.ts'] },
        },
      })),
      // Every README and docs code block, run against the built packages (`pnpm build` first;
      // `pnpm verify` runs tsc -b, which builds them, before the tests).
      { extends: true, test: { name: 'readme', include: ['test/readme.test.ts'] } },
    ],
  },
});
