import { setTimeout as sleep } from 'node:timers/promises';

/**
 * Poll `probe` until it returns something other than undefined/false, every `interval` ms, for at most `timeout` ms.
 * Rejects with `what` in the message when time runs out, or as soon as `abortIf` returns a reason.
 */
export async function waitFor<T>(
  probe: () => T | undefined | false | Promise<T | undefined | false>,
  options: { what: string; timeout?: number; interval?: number; abortIf?: () => string | undefined },
): Promise<T> {
  const { what, timeout = 10_000, interval = 5 } = options;
  const deadline = Date.now() + timeout;
  for (;;) {
    const value = await probe();
    if (value !== undefined && value !== false) return value;
    const reason = options.abortIf?.();
    if (reason) throw new Error(`gave up waiting for ${what}: ${reason}`);
    if (Date.now() >= deadline) throw new Error(`timed out after ${timeout} ms waiting for ${what}`);
    await sleep(interval);
  }
}
