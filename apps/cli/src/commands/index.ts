import type { Command } from '@commander-js/extra-typings';
import type { Io } from '../io.js';
import { registerAdd } from './add.js';
import { registerBuild } from './build.js';
import { registerConvert } from './convert.js';
import { registerExtBuild } from './ext-build.js';
import { registerExtract } from './extract.js';
import { registerFatBuild } from './fat-build.js';
import { registerFileCommands } from './files.js';
import { registerInfo } from './info.js';
import { registerRepack } from './repack.js';
import { registerShell } from './shell.js';

/** Adds one command (or a family) to the program; each lives in its own module in this folder. */
export type Register = (program: Command, io: Io) => void;

export const commands: Register[] = [
  registerBuild,
  registerExtBuild,
  registerFatBuild,
  registerConvert,
  registerInfo,
  registerFileCommands,
  registerAdd,
  registerExtract,
  registerShell,
  registerRepack,
];
