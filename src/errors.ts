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
  SIGPIPE: 141,
  SIGTERM: 143,
} as const;

export type ErrorCode = 'FAILED' | 'USAGE' | 'CONNECT' | 'AUTH' | 'NOT_FOUND' | 'OUTPUT' | 'BUSY';

const CODES: readonly ErrorCode[] = ['FAILED', 'USAGE', 'CONNECT', 'AUTH', 'NOT_FOUND', 'OUTPUT', 'BUSY'];

/** Codes no retry can fix: an orchestrator attempts a batch that fails so only once. */
export const PERMANENT: ReadonlySet<ErrorCode> = new Set(['USAGE', 'AUTH', 'NOT_FOUND', 'OUTPUT', 'BUSY']);

/** Codes whose cause is shared by every batch by default (a bad password, a dropped collection, a held directory). */
const GLOBAL_BY_DEFAULT: ReadonlySet<ErrorCode> = new Set(['AUTH', 'NOT_FOUND', 'BUSY']);

export const isErrorCode = (value: unknown): value is ErrorCode => CODES.includes(value as ErrorCode);

/** An ExtractError as it crosses a process or thread boundary (a child's report channel, the planning worker). */
export interface SerializedError {
  code: ErrorCode;
  message: string;
  global: boolean;
}

/** The one error type the CLI layer prints as a single line and maps to an exit code. */
export class ExtractError extends Error {
  override name = 'ExtractError';
  readonly code: ErrorCode;

  /** Whether the cause affects every batch (disk full, auth), so an orchestrator should stop launching more. */
  readonly global: boolean;

  constructor(code: ErrorCode, message: string, options?: { cause?: unknown; global?: boolean }) {
    super(message, options);
    this.code = code;
    this.global = options?.global ?? GLOBAL_BY_DEFAULT.has(code);
  }

  get exitCode(): number {
    return EXIT[this.code];
  }

  get retryable(): boolean {
    return !PERMANENT.has(this.code);
  }

  toJSON(): SerializedError {
    return { code: this.code, message: this.message, global: this.global };
  }

  /** The error again from its serialized form; anything unrecognisable is a plain failure. */
  static fromJSON(s: Partial<SerializedError> | undefined): ExtractError {
    const code = isErrorCode(s?.code) ? s.code : 'FAILED';
    return new ExtractError(code, typeof s?.message === 'string' ? s.message : 'unknown error', {
      global: s?.global === true,
    });
  }
}

export const usage = (message: string): ExtractError => new ExtractError('USAGE', message);

/** Map a child's exit code back to its error code (the orchestrator's view of a child). */
export function codeForExit(exitCode: number | undefined): ErrorCode | undefined {
  return CODES.find((code) => EXIT[code] === exitCode);
}

const SIGNAL_NUMBERS: Record<string, number> = {
  SIGHUP: 1,
  SIGINT: 2,
  SIGQUIT: 3,
  SIGKILL: 9,
  SIGPIPE: 13,
  SIGTERM: 15,
};

/** The exit code of a command stopped by `signal`, as a shell reports it: 128 + the signal's number (130, 141, 143). */
export function exitForSignal(signal: string): number {
  return 128 + (SIGNAL_NUMBERS[signal] ?? SIGNAL_NUMBERS.SIGTERM!);
}

const OUTPUT_ERRNOS = new Set([
  'ENOSPC',
  'EDQUOT',
  'EACCES',
  'EPERM',
  'EROFS',
  'ENOENT',
  'ENOTDIR',
  'EISDIR',
  'EEXIST',
  'EFBIG',
  'EMFILE',
]);

const ERRNO_TEXT: Record<string, string> = {
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

/** Turn any error raised while writing output into an ExtractError('OUTPUT') with a readable line. */
export function outputError(err: unknown, path: string): ExtractError {
  if (err instanceof ExtractError) return err;
  const errno = (err as NodeJS.ErrnoException)?.code;
  if (errno && OUTPUT_ERRNOS.has(errno)) {
    const global = errno === 'ENOSPC' || errno === 'EDQUOT' || errno === 'EROFS';
    return new ExtractError('OUTPUT', `cannot write ${path}: ${ERRNO_TEXT[errno] ?? errno}`, { cause: err, global });
  }
  return new ExtractError('FAILED', `writing ${path} failed: ${(err as Error)?.message ?? String(err)}`, {
    cause: err,
  });
}
