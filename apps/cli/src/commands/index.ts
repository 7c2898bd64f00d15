import type { Command } from '@commander-js/extra-typings';
import type { Io } from '../io.js';

/** Adds one command (or a family) to the program; each lives in its own module in this folder. */
export type Register = (program: Command, io: Io) => void;

/**
 * Every command module, in help order, with the command names it registers. A run imports only
 * the module of the command it runs (help and unknown commands import them all): start-up then
 * pays for one command's code, not twenty (issue 16; test/start.test.ts keeps the names true).
 */
export const commands: ReadonlyArray<{ names: readonly string[]; load: () => Promise<Register> }> = [
  { names: ['build'], load: async () => (await import('./build.js')).registerBuild },
  { names: ['ext-build'], load: async () => (await import('./ext-build.js')).registerExtBuild },
  { names: ['fat-build'], load: async () => (await import('./fat-build.js')).registerFatBuild },
  { names: ['convert'], load: async () => (await import('./convert.js')).registerConvert },
  { names: ['info'], load: async () => (await import('./info.js')).registerInfo },
  {
    names: ['ls', 'cat', 'stat', 'mkdir', 'rm'],
    load: async () => (await import('./files.js')).registerFileCommands,
  },
  { names: ['add'], load: async () => (await import('./add.js')).registerAdd },
  { names: ['extract'], load: async () => (await import('./extract.js')).registerExtract },
  { names: ['check'], load: async () => (await import('./check.js')).registerCheck },
  { names: ['df'], load: async () => (await import('./df.js')).registerDf },
  { names: ['du'], load: async () => (await import('./du.js')).registerDu },
  { names: ['find'], load: async () => (await import('./find.js')).registerFind },
  { names: ['chmod'], load: async () => (await import('./chmod.js')).registerChmod },
  { names: ['chown'], load: async () => (await import('./chown.js')).registerChown },
  { names: ['mv', 'rename'], load: async () => (await import('./mv.js')).registerMv },
  { names: ['ln'], load: async () => (await import('./ln.js')).registerLn },
  { names: ['touch'], load: async () => (await import('./touch.js')).registerTouch },
  { names: ['shell'], load: async () => (await import('./shell.js')).registerShell },
  { names: ['schema'], load: async () => (await import('./schema.js')).registerSchema },
  { names: ['repack'], load: async () => (await import('./repack.js')).registerRepack },
];
