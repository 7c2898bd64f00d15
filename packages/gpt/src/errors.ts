import { CorruptError } from '@fstool/blockdev';

/** The GPT structures a reader checks, each named in warnings and errors. */
export type GptStructure = 'protective-mbr' | 'primary-header' | 'primary-entries' | 'backup-header' | 'backup-entries';

export interface GptProblem {
  structure: GptStructure;
  message: string;
}

/** A GPT that cannot be used (both copies damaged), or any damage when reading strictly. */
export class GptCorruptError extends CorruptError {
  constructor(readonly problems: GptProblem[]) {
    super(`GPT: ${problems.map((p) => `${p.structure}: ${p.message}`).join('; ')}`);
  }
}
