import { delimiter } from 'node:path';
import type { DriverRegistry } from 'fstool';
import type { OpenImageOptions } from 'fstool/node';

/** Plugins for every command: `FSTOOL_PLUGINS` (separated like PATH) and the global `--plugin` options. */
const global: string[] = [];

/** Sets the plugins that every command of this run loads (called once from the root `--plugin`). */
export function usePlugins(fromOptions: string[], env = process.env.FSTOOL_PLUGINS): void {
  global.length = 0;
  global.push(...(env ?? '').split(delimiter).filter(Boolean), ...fromOptions);
}

/** Whether this run loads plugins (`--plugin`, `FSTOOL_PLUGINS`). */
export const pluginsInUse = () => global.length > 0;

/** The driver registry for one command: built-ins plus the plugins, resolved from the cwd. */
export async function registryWith(): Promise<DriverRegistry> {
  const registry = (await import('fstool/registry')).createRegistry();
  // The plugin loader (with the rest of fstool/node) loads only when a plugin is named.
  if (pluginsInUse()) await (await import('fstool/node')).loadPlugins(global, process.cwd(), registry);
  return registry;
}

/** Collects a repeatable option (`--plugin a --plugin b`). */
export const collect = (value: string, previous: string[] = []) => [...previous, value];

/**
 * How this run opens images, from the program-wide options (`--sector-size`, accepted before or
 * after the command name). run() sets it before each command's action, so every command that
 * opens an image (through onFilesystem, OpenImage or repack) honours it.
 */
export const imageOptions: Pick<OpenImageOptions, 'sectorSize'> = {};

let waitNotice: ((message: string) => void) | undefined;

/** `--wait`: a locked image is waited for (telling `notice` once) instead of failing; set by run(). */
export function waitForLocks(notice: ((message: string) => void) | undefined): void {
  waitNotice = notice;
}

/** Lock options for opening an image in the current command. */
export const lockOptions = () => (waitNotice ? { wait: true, onWait: waitNotice } : {});

/** The same as an option of the facade's writers (`{ lock }`), empty without --wait. */
export const lockOption = () => (waitNotice ? { lock: lockOptions() } : {});
