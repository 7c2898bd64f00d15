import type { Command } from '@commander-js/extra-typings';
import type { Io } from '../io.js';

/** Adds one command to the program; each command lives in its own module in this folder. */
export type Register = (program: Command, io: Io) => void;

export const commands: Register[] = [];
