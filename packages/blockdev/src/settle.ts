/**
 * Waits for every one of `ps` (none is left running, touching a buffer the caller is about to
 * reuse or a device it is about to close), then throws the first failure.
 */
export async function settleAll(ps: Array<Promise<unknown> | undefined>): Promise<void> {
  for (const r of await Promise.allSettled(ps)) if (r.status === 'rejected') throw r.reason;
}
