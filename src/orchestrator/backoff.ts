/** Exponential backoff with full jitter: attempt 1 waits up to base, attempt 2 up to 2×base, … capped. */
export function backoffMs(attempt: number, baseSeconds: number, capSeconds = 60, random = Math.random): number {
  const ceiling = Math.min(capSeconds, baseSeconds * 2 ** Math.max(0, attempt - 1)) * 1000;
  return Math.round(ceiling * (0.5 + random() / 2));
}
