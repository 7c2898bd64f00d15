import { createRequire } from 'node:module';
import { isAbsolute, join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { FsError } from '@fstool/blockdev';
import { specKeysProblem } from '@fstool/spec';
import type { AnyDriver, DriverRegistry } from '../registry.js';

/** A plugin that cannot be found or is not a filesystem driver. */
export class PluginError extends FsError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('PLUGIN', message, options);
  }
}

/**
 * Imports filesystem plugins and registers their default export (a FileSystemDriver, or an array
 * of them). Names resolve from `fromDir` — the user's project, not fstool's install — and paths
 * (./x.js, /abs/x.js) relative to it.
 */
export async function loadPlugins(names: string[], fromDir: string, registry: DriverRegistry): Promise<void> {
  for (const name of names) {
    let url: string;
    try {
      const path =
        name.startsWith('.') || isAbsolute(name)
          ? resolve(fromDir, name)
          : createRequire(join(fromDir, 'noop.js')).resolve(name);
      url = pathToFileURL(path).href;
    } catch (err) {
      throw new PluginError(`plugin "${name}" not found from ${fromDir} (install it there, or give a path)`, {
        cause: err,
      });
    }
    const mod = (await import(url)) as { default?: AnyDriver | AnyDriver[] };
    const drivers = Array.isArray(mod.default) ? mod.default : [mod.default];
    for (const d of drivers) {
      if (!d || typeof d !== 'object' || typeof d.type !== 'string' || typeof d.probe !== 'function') {
        throw new PluginError(`plugin "${name}" has no FileSystemDriver as its default export`);
      }
      // The same module named twice (flag and environment) is loaded once; another driver claiming a taken name is refused.
      const names = [d.type, ...(d.aliases ?? [])];
      const taken = names.find((n) => registry.has(n));
      if (taken !== undefined && registry.get(taken) === d) continue;
      if (taken !== undefined) {
        throw new PluginError(
          `plugin "${name}" declares the filesystem type "${taken}", which the ${registry.get(taken).type} driver already has; a plugin needs a name of its own`,
        );
      }
      const problem = specKeysProblem(d);
      if (problem !== undefined) throw new PluginError(`plugin "${name}" ${problem}`);
      registry.register(d);
    }
  }
}
