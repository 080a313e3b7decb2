import { writeSync } from 'node:fs';
import type { SerializedError } from '../errors.js';

/** Messages from a child to the orchestrator, one JSON object per line on a dedicated file descriptor. */
export type ReportMessage =
  | { type: 'progress'; docs: number }
  | { type: 'resume'; resumes: number; reason: string }
  | {
      type: 'result';
      docs: number;
      bytes: number;
      sha256: string;
      seconds: number;
      file: string;
      invalidUtf8: number;
      cursorResumes?: number;
    }
  | ({ type: 'error' } & SerializedError);

export type Reporter = (message: ReportMessage) => void;

/** A reporter writing to `fd` (given by the orchestrator with --report-fd), or one that drops everything. */
export function reporterFor(fd: number | undefined): Reporter {
  if (fd === undefined) return () => {};
  let broken = false;
  return (message) => {
    if (broken) return;
    try {
      writeSync(fd, JSON.stringify(message) + '\n');
    } catch {
      broken = true; // the orchestrator went away; the record on disk still tells the result
    }
  };
}

type Result = Extract<ReportMessage, { type: 'result' }>;

/** The result line of a written batch (what the orchestrator checks against the file before it believes it). */
export function resultMessage(r: Omit<Result, 'type'>): Result {
  const { docs, bytes, sha256, seconds, file, invalidUtf8, cursorResumes } = r;
  return {
    type: 'result',
    docs,
    bytes,
    sha256,
    seconds,
    file,
    invalidUtf8,
    ...(cursorResumes ? { cursorResumes } : {}),
  };
}
