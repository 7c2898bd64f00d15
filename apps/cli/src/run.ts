import { FsError } from '@fstool/blockdev';
import { SECTOR_SIZES } from '@fstool/mbr/sector-sizes';
import pkg from '../package.json' with { type: 'json' };
import { addBackingOptions } from './backing.js';
import { Command, CommanderError, InvalidArgumentError } from './commander.js';
import { commands } from './commands/index.js';
import { collect, imageOptions, usePlugins, waitForLocks } from './context.js';
import { addDefaultHelp } from './help.js';
import { EXIT, type Io } from './io.js';
import { escapeMessage } from './names.js';
import { verbosity } from './progress.js';
import { guardSignals } from './signals.js';

export type { Io } from './io.js';

/** Commands that write a new output file (through a temporary file) and draw progress bars. */
const WRITES_OUTPUT = new Set(['build', 'ext-build', 'fat-build', 'convert', 'repack']);

async function program(io: Io, argv: readonly string[]): Promise<Command> {
  const cli = new Command()
    .name('fstool')
    .description('Build, inspect and edit disk images: ext2/3/4, FAT, MBR, GPT, raw and qcow2.')
    .version(pkg.version, '-V, --version')
    .showHelpAfterError('(run fstool --help for usage)')
    .configureOutput({ writeOut: io.out, writeErr: io.err })
    .option(
      '--plugin <name>',
      'load a filesystem plugin package or file, for any command (repeatable; also FSTOOL_PLUGINS)',
      collect,
      [] as string[],
    )
    .option('-q, --quiet', 'no progress bars or summaries, only errors (any command)')
    .option('-v, --verbose', 'say what is done, path by path where a command can (any command)')
    .option('--wait', 'when another process is using the image, wait for it instead of failing (exit 2)')
    .option(
      '--sector-size <bytes>',
      `logical sector size of an MBR disk (${SECTOR_SIZES.join(', ')}; default: the block device's, or probed)`,
      sectorSize,
    )
    .exitOverride()
    .hook('preAction', (_program, command) => {
      const o = cli.opts();
      usePlugins(o.plugin);
      verbosity.quiet = o.quiet ?? false;
      verbosity.verbose = (o.verbose ?? false) && !verbosity.quiet;
      waitForLocks(o.wait ? (m) => io.err(`fstool: ${m}\n`) : undefined);
      if (o.sectorSize === undefined) delete imageOptions.sectorSize;
      else imageOptions.sectorSize = o.sectorSize;
      if (WRITES_OUTPUT.has(command.name())) guardSignals();
    });
  const word = commandWord(cli, argv);
  const wanted = commands.filter((c) => c.names.includes(word ?? '')); // none: help or an unknown word
  for (const register of await Promise.all((wanted.length ? wanted : commands).map((c) => c.load()))) {
    register(cli, io);
  }
  addBackingOptions(cli);
  addDefaultHelp(cli);
  return cli;
}

/** The first word of `argv` that is neither a program option nor an option's value: the command's name. */
function commandWord(cli: Command, argv: readonly string[]): string | undefined {
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] as string;
    if (!arg.startsWith('-')) return arg;
    const option = cli.options.find((o) => o.long === arg || o.short === arg);
    if (option && (option.required || option.optional)) i++; // `--plugin NAME`: skip NAME
  }
  return undefined;
}

function sectorSize(value: string): number {
  const n = Number(value);
  if (!SECTOR_SIZES.includes(n)) throw new InvalidArgumentError(`must be one of ${SECTOR_SIZES.join(', ')}`);
  return n;
}

/** find(1)'s tests, which take one dash: `fstool find IMG / -name '*.conf'` reads as `--name`. */
const FIND_TESTS = new Set(['-name', '-type', '-size']);

/** `argv` with find(1)'s single-dash tests after a `find` command spelt as its long options. */
function findSpelling(cli: Command, argv: string[]): string[] {
  if (commandWord(cli, argv) !== 'find') return argv;
  // A test's own value is left alone (`--name -name` looks for files called "-name").
  const takesValue = (prev = '') => FIND_TESTS.has(prev) || FIND_TESTS.has(prev.slice(1));
  return argv.map((arg, i) => (FIND_TESTS.has(arg) && !takesValue(argv[i - 1]) ? `-${arg}` : arg));
}

/** Runs the CLI on `argv` (without node and script) and resolves to the process exit code. */
export async function run(argv: string[], io: Io): Promise<number> {
  const cli = await program(io, argv);
  argv = findSpelling(cli, argv);
  try {
    if (argv.length === 0) {
      cli.outputHelp();
      return EXIT.usage;
    }
    await cli.parseAsync(argv, { from: 'user' });
    return EXIT.ok;
  } catch (err) {
    if (err instanceof CommanderError) {
      // --help and --version surface as "errors" with exit code 0.
      return err.exitCode === 0 ? EXIT.ok : EXIT.usage;
    }
    io.err(`fstool: ${escapeMessage(err instanceof Error ? err.message : String(err))}\n`);
    // An FsError is an expected failure caused by the input (spec, image, path, size): exit 2.
    return err instanceof FsError ? EXIT.usage : EXIT.failed;
  }
}
