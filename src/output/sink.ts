import type { Writable } from 'node:stream';
import type { OutputOptions } from '../plan/model.js';
import { createFastSink } from './fast-writer.js';
import { createDocSink, type DocSink } from './writers.js';

/** How a batch is written: `fast` turns raw BSON into Extended JSON itself; `jsonstream` is the driver's documents through JSONStream. */
export type WriterName = 'fast' | 'jsonstream';

export const WRITERS: readonly WriterName[] = ['fast', 'jsonstream'];

/** A sink for `writer` into `dest`; the fast writer wants raw BSON documents (`raw: true` cursors). */
export const createSink = (writer: WriterName, dest: Writable, output: OutputOptions): DocSink =>
  writer === 'fast' ? createFastSink(dest, output) : createDocSink(dest, output);
