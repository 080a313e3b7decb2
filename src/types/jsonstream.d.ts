declare module 'JSONStream' {
  import type { Stream } from 'node:stream';
  /** Classic through-stream: objects in, JSON text out, framed by `open`, `sep` and `close`. */
  export function stringify(
    open?: string | false,
    sep?: string,
    close?: string,
    indent?: number,
  ): Stream & NodeJS.WritableStream & NodeJS.ReadableStream;
}
