import { EXIT, ExtractError, exitForSignal } from '../errors.js';
import { createLogger } from '../log.js';
import { usageLine } from '../options/usage-line.js';
import { scrub } from '../uri.js';

/** How long a process stopped by a signal waits for what its abort could not finish synchronously. */
const SETTLE_MS = 3000;

/**
 * SIGINT/SIGTERM abort `controller` with the signal's name as the reason; `then` says what follows. 'exit': exit at
 * once with 128 + the signal (after the abort's listeners, which run synchronously, have cleaned up). 'wait': the
 * use case winds down by itself; a second signal exits at once.
 */
export function abortOnSignals(
  controller: AbortController,
  then: 'exit' | 'wait',
  onFirst?: (signal: NodeJS.Signals) => void,
  settling?: Set<Promise<unknown>>,
): void {
  const handler = (signal: NodeJS.Signals) => {
    if (controller.signal.aborted) process.exit(exitForSignal(signal));
    if (then === 'exit') {
      controller.abort(signal);
      // what the abort could not finish synchronously (an upload to abort) gets a moment; a second signal ends it
      if (!settling?.size) process.exit(exitForSignal(signal));
      const timer = setTimeout(() => process.exit(exitForSignal(signal)), SETTLE_MS);
      void Promise.allSettled([...settling]).then(() => {
        clearTimeout(timer);
        process.exit(exitForSignal(signal));
      });
      return;
    }
    onFirst?.(signal);
    controller.abort(signal);
  };
  process.on('SIGINT', handler);
  process.on('SIGTERM', handler);
}

/** Run a command; only here does an error become an exit code (one line for expected errors, stack otherwise). */
export async function main(name: string, run: () => Promise<number | undefined>): Promise<void> {
  const log = createLogger();
  process.stdout.on('error', (err: NodeJS.ErrnoException) => {
    // `| head` closed the pipe: stop quietly, as any Unix tool cut off by a closed pipe (128 + SIGPIPE).
    if (err.code === 'EPIPE') process.exit(EXIT.SIGPIPE);
  });
  try {
    process.exitCode = (await run()) ?? EXIT.OK;
  } catch (err) {
    if ((err as NodeJS.ErrnoException)?.code === 'EPIPE') process.exit(EXIT.SIGPIPE);
    if (err instanceof ExtractError) {
      log.error(`${name}: ${err.message}`);
      process.exitCode = err.exitCode;
    } else if ((err as Error)?.name === 'YError') {
      log.error(`${name}: ${usageLine((err as Error).message)}`);
      process.exitCode = EXIT.USAGE;
    } else {
      log.error(`${name}: unexpected error: ${scrub((err as Error)?.stack ?? String(err))}`);
      process.exitCode = EXIT.FAILED;
    }
  }
}
