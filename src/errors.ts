/** Stable error codes. Each maps to one documented exit code (see README "Exit codes"). */
export const EXIT = {
  OK: 0,
  /** Runtime failure: a batch failed after its retries, or a transient server/network error. */
  FAILED: 1,
  /** Bad option, malformed EJSON, a plan that does not fit the output directory. */
  USAGE: 2,
  /** Server unreachable within --connect-timeout. */
  CONNECT: 3,
  /** Authentication or authorization failed. */
  AUTH: 4,
  /** Database or collection does not exist. */
  NOT_FOUND: 5,
  /** Output not writable: directory missing, permission denied, disk full. */
  OUTPUT: 6,
  /** Another run holds the output directory. */
  BUSY: 7,
  SIGINT: 130,
  SIGTERM: 143,
} as const;

export type ErrorCode = 'FAILED' | 'USAGE' | 'CONNECT' | 'AUTH' | 'NOT_FOUND' | 'OUTPUT' | 'BUSY';

/** Codes no retry can fix: the orchestrator does not retry these. */
const PERMANENT: ReadonlySet<ErrorCode> = new Set(['USAGE', 'AUTH', 'NOT_FOUND', 'OUTPUT', 'BUSY']);

/** The one error type the CLI layer prints as a single line and maps to an exit code. */
export class ExtractError extends Error {
  override name = 'ExtractError';
  readonly code: ErrorCode;

  /** Whether the cause affects every batch (disk full, auth), so an orchestrator should stop launching more. */
  readonly global: boolean;

  constructor(code: ErrorCode, message: string, options?: { cause?: unknown; global?: boolean }) {
    super(message, options);
    this.code = code;
    this.global = options?.global ?? (code === 'AUTH' || code === 'NOT_FOUND' || code === 'BUSY');
  }

  get exitCode(): number {
    return EXIT[this.code];
  }

  get retryable(): boolean {
    return !PERMANENT.has(this.code);
  }
}

export const usage = (message: string): ExtractError => new ExtractError('USAGE', message);

const CODES: readonly ErrorCode[] = ['FAILED', 'USAGE', 'CONNECT', 'AUTH', 'NOT_FOUND', 'OUTPUT', 'BUSY'];

/** Map a child's exit code back to its error code (the orchestrator's view of a child). */
export function codeForExit(exitCode: number | undefined): ErrorCode | undefined {
  return CODES.find((code) => EXIT[code] === exitCode);
}

const OUTPUT_ERRNOS = new Set(['ENOSPC', 'EDQUOT', 'EACCES', 'EPERM', 'EROFS', 'ENOENT', 'ENOTDIR', 'EISDIR', 'EEXIST', 'EFBIG', 'EMFILE']);

/** Turn any error raised while writing output into an ExtractError('OUTPUT') with a readable line. */
export function outputError(err: unknown, path: string): ExtractError {
  if (err instanceof ExtractError) return err;
  const errno = (err as NodeJS.ErrnoException)?.code;
  const what: Record<string, string> = {
    ENOSPC: 'no space left on device',
    EDQUOT: 'disk quota exceeded',
    EACCES: 'permission denied',
    EPERM: 'permission denied',
    EROFS: 'read-only file system',
    ENOENT: 'directory does not exist',
    ENOTDIR: 'a parent is not a directory',
    EISDIR: 'is a directory',
    EFBIG: 'file too large',
  };
  if (errno && OUTPUT_ERRNOS.has(errno)) {
    const global = errno === 'ENOSPC' || errno === 'EDQUOT' || errno === 'EROFS';
    return new ExtractError('OUTPUT', `cannot write ${path}: ${what[errno] ?? errno}`, { cause: err, global });
  }
  return new ExtractError('FAILED', `writing ${path} failed: ${(err as Error)?.message ?? String(err)}`, { cause: err });
}
