import type { BlockDevice } from '@fstool/blockdev';
import { FsError } from '@fstool/blockdev';
import { extDriver } from '@fstool/ext/driver';
import { fatDriver } from '@fstool/fat/driver';
import type { FileSystemDriver } from '@fstool/fs';

// biome-ignore lint/suspicious/noExplicitAny: drivers take their own option types; the registry only routes.
export type AnyDriver = FileSystemDriver<any>;

/** A filesystem type nobody registered. */
export class UnknownTypeError extends FsError {
  constructor(type: string, known: string[]) {
    super('UNKNOWN_FS_TYPE', `unknown filesystem type "${type}" (known: ${known.join(', ')})`);
  }
}

/**
 * The filesystem drivers the facade can build, open and probe. Built-ins and third-party plugins
 * are registered the same way; probing tries them in registration order.
 */
export class DriverRegistry {
  readonly #drivers: AnyDriver[] = [];
  readonly #byName = new Map<string, AnyDriver>();

  constructor(drivers: Iterable<AnyDriver> = []) {
    for (const d of drivers) this.register(d);
  }

  register(driver: AnyDriver): this {
    if (!driver || typeof driver.type !== 'string' || typeof driver.build !== 'function') {
      throw new FsError('BAD_PLUGIN', 'a filesystem driver needs at least `type`, `probe`, `build` and `open`');
    }
    const names = [driver.type, ...(driver.aliases ?? [])];
    for (const name of names) {
      const other = this.#byName.get(name);
      if (other && other !== driver) {
        throw new FsError(
          'BAD_PLUGIN',
          `filesystem type "${name}" is registered twice (by ${other.type} and ${driver.type})`,
        );
      }
    }
    for (const name of names) this.#byName.set(name, driver);
    this.#drivers.push(driver);
    return this;
  }

  /** The driver that builds `type`; an UnknownTypeError lists the known names. */
  get(type: string): AnyDriver {
    const d = this.#byName.get(type);
    if (!d) throw new UnknownTypeError(type, this.types());
    return d;
  }

  has(type: string): boolean {
    return this.#byName.has(type);
  }

  types(): string[] {
    return [...this.#byName.keys()].sort();
  }

  /** The first driver that recognises the device, or undefined. Probes that throw count as "no". */
  async probe(dev: BlockDevice): Promise<AnyDriver | undefined> {
    for (const d of this.#drivers) {
      try {
        if (await d.probe(dev)) return d;
      } catch {
        // A probe must not throw on garbage; treat a misbehaving one as a miss.
      }
    }
    return undefined;
  }
}

/**
 * A registry with the built-in drivers (ext2/3/4 and FAT) plus any extra ones, in probe order.
 * The built-in driver objects are light: each loads its reader or builder on first use, so a
 * command pays only for the driver that handles its image (see docs/DESIGN.md, "Start-up").
 */
export function createRegistry(extra: AnyDriver[] = []): DriverRegistry {
  return new DriverRegistry([extDriver, fatDriver, ...extra]);
}
