import { pluginsInUse, registryWith } from '../context.js';
import type { Register } from './index.js';

/** The JSON Schemas shipped in docs/json, by the name `fstool schema` takes. */
export const SCHEMAS = [
  'spec',
  'entry',
  'ls',
  'find',
  'stat',
  'info',
  'fs-info',
  'df',
  'du',
  'check',
  'build',
  'convert',
];

export const registerSchema: Register = (program, io) => {
  program
    .command('schema')
    .description("print a JSON Schema: the spec's (for editor completion) or a command's --json output")
    .argument('[name]', `one of ${SCHEMAS.join(', ')}`, 'spec')
    .addHelpText(
      'after',
      '\nDefaults: the spec schema; with --plugin or FSTOOL_PLUGINS it includes their own spec keys.\n\nExample:\n  fstool schema > fstool-spec.schema.json   # then point Even Better TOML / Taplo at it',
    )
    .action(async (name) => {
      const [{ readFile }, { InvalidArgumentError }] = await Promise.all([
        import('node:fs/promises'),
        import('@fstool/blockdev'),
      ]);
      if (!SCHEMAS.includes(name))
        throw new InvalidArgumentError(`no schema "${name}" (there are ${SCHEMAS.join(', ')})`);
      const text = await readFile(new URL(`../../schemas/${name}.schema.json`, import.meta.url), 'utf8');
      if (name !== 'spec' || !pluginsInUse()) return io.out(text);
      // The loaded plugins' own keys join the filesystem tables.
      const { withPluginKeys } = await import('../spec-schema.js');
      io.out(withPluginKeys(text, await registryWith()));
    });
};
