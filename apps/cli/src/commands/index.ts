import type { Command } from '@commander-js/extra-typings';
import type { Io } from '../io.js';
import { registerAdd } from './add.js';
import { registerBuild } from './build.js';
import { registerCheck } from './check.js';
import { registerChmod } from './chmod.js';
import { registerChown } from './chown.js';
import { registerConvert } from './convert.js';
import { registerDf } from './df.js';
import { registerDu } from './du.js';
import { registerExtBuild } from './ext-build.js';
import { registerExtract } from './extract.js';
import { registerFatBuild } from './fat-build.js';
import { registerFileCommands } from './files.js';
import { registerFind } from './find.js';
import { registerInfo } from './info.js';
import { registerLn } from './ln.js';
import { registerMv } from './mv.js';
import { registerRepack } from './repack.js';
import { registerSchema } from './schema.js';
import { registerShell } from './shell.js';
import { registerTouch } from './touch.js';

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
  registerCheck,
  registerDf,
  registerDu,
  registerFind,
  registerChmod,
  registerChown,
  registerMv,
  registerLn,
  registerTouch,
  registerShell,
  registerSchema,
  registerRepack,
];
