/**
 * commander, loaded with require(): it is CommonJS, and Node 20 takes ~10 ms longer to import a
 * CommonJS package from ESM than to require it, on every run (issue 16). Types as usual.
 */
import { createRequire } from 'node:module';
import type * as Commander from '@commander-js/extra-typings';

export const { Command, CommanderError, InvalidArgumentError } = createRequire(import.meta.url)(
  '@commander-js/extra-typings',
) as typeof Commander;
export type Command = Commander.Command;
