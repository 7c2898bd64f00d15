import type { Command } from '@commander-js/extra-typings';
import type { OpenImageOptions } from 'fstool/node';
import { collect } from './context.js';

export type BackingPolicy = NonNullable<OpenImageOptions['backing']>;

/** Commands whose first argument is an image to open (`<image>`, `<source>`, `<input>`). */
const OPENS_IMAGE = new Set(['image', 'source', 'input']);

/** The policy of the command being run, set by the preAction hook (default: inside the image's directory). */
let current: BackingPolicy = {};

export const backingPolicy = (): BackingPolicy => current;

/**
 * Gives every command that opens an image the qcow2 backing-file options, and records the running
 * command's choice before its action starts.
 */
export function addBackingOptions(program: Command): void {
  for (const cmd of program.commands) {
    if (!OPENS_IMAGE.has(cmd.registeredArguments[0]?.name() ?? '')) continue;
    cmd
      .option('--no-backing', 'do not follow a qcow2 backing file (its clusters read as zeros; read-only)')
      .option(
        '--backing-allow <path>',
        'follow qcow2 backing files at or under this host path (repeatable)',
        collect,
        [] as string[],
      )
      .option('--allow-any-backing', 'follow qcow2 backing files wherever they are');
  }
  program.hook('preAction', (_program, action) => {
    const o = action.opts() as { backing?: boolean; backingAllow?: string[]; allowAnyBacking?: boolean };
    current = {
      ...(o.backing === false ? { follow: false } : {}),
      ...(o.backingAllow?.length ? { allow: o.backingAllow } : {}),
      ...(o.allowAnyBacking ? { any: true } : {}),
    };
  });
}
