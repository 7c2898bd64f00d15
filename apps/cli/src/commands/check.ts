import { CorruptError } from '@fstool/blockdev';
import type { Register } from './index.js';

export const registerCheck: Register = (program, io) => {
  program
    .command('check')
    .description("run the container's and each filesystem's own consistency check (read-only)")
    .argument('<image>', 'image file, or IMG:N for one partition')
    .option('--json', 'print as JSON (docs/json/check.schema.json)')
    .addHelpText(
      'after',
      '\nDefaults: every filesystem of the image; nothing is repaired (use e2fsck, fsck.vfat, qemu-img check -r).\nExit status: 0 clean, 2 problems found.\n\nExample:\n  fstool check disk.qcow2',
    )
    .action(async (ref, o) => {
      const [{ checkImage }, { registryWith }, { toJson }, { verbosity }] = await Promise.all([
        import('fstool/node'),
        import('../context.js'),
        import('../format.js'),
        import('../progress.js'),
      ]);
      const quiet = verbosity.quiet;
      const r = await checkImage(ref, await registryWith());
      if (o.json) io.out(toJson(r));
      else {
        if (r.container) {
          const c = r.container;
          if (!quiet || c.problems.length)
            io.out(`${r.path}: qcow2: ${c.corruptions} corruptions, ${c.leaks} leaked clusters\n`);
          for (const p of c.problems) io.out(`  ${p}\n`);
        }
        for (const v of r.volumes) {
          const name = v.index ? `${r.path}:${v.index}` : r.path;
          const verdict = v.problems.length ? `${v.problems.length} problems` : v.supported ? 'clean' : 'not checked';
          const what = v.supported ? v.checked : `the ${v.type} driver has no check`;
          if (!quiet || v.problems.length) io.out(`${name}: ${v.type}: ${verdict} (${what})\n`);
          for (const p of v.problems) io.out(`  ${p}\n`);
        }
      }
      if (!r.clean) throw new CorruptError(`${r.path}: the check found problems`);
    });
};
