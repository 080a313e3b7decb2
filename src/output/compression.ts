import type { Transform } from 'node:stream';
// the default import: in the bundles zlib loads on first use through a stand-in that knows the export names of the
// Node that built it (Node 20 has no zstd); property reads on the module object itself reach the running Node's
import zlib from 'node:zlib';
import type { OutputOptions } from '../plan/model.js';

/** How batch files are compressed: gzip (level 6) or zstd (level 3, zstd's default), or not at all. */
export type Compression = 'gzip' | 'zstd' | undefined;

export const compressionOf = (o: Pick<OutputOptions, 'gzip' | 'zstd'>): Compression =>
  o.zstd ? 'zstd' : o.gzip ? 'gzip' : undefined;

/** The file name's ending for a compression. */
export const compressedExtension = (c: Compression): string => (c === 'zstd' ? '.zst' : c === 'gzip' ? '.gz' : '');

// zstd is in node:zlib from Node 22.15 (and 23.8); typed loosely so that Node 20's types build
type ZstdZlib = {
  createZstdCompress?: (o?: { params?: Record<number, number> }) => Transform;
  createZstdDecompress?: () => Transform;
  constants: { ZSTD_c_compressionLevel?: number };
};
const z = zlib as unknown as ZstdZlib;

/** Why --compress zstd cannot run on this Node, or undefined. */
export function zstdUnavailable(): string | undefined {
  return typeof z.createZstdCompress === 'function'
    ? undefined
    : `--compress zstd needs zstd in node:zlib (Node 22.15 or later); this is Node ${process.versions.node}: use --gzip`;
}

export function compressor(c: Exclude<Compression, undefined>): Transform {
  if (c === 'gzip') return zlib.createGzip({ level: 6 });
  const level = z.constants.ZSTD_c_compressionLevel;
  return z.createZstdCompress!(level === undefined ? {} : { params: { [level]: 3 } });
}

export function decompressor(c: Exclude<Compression, undefined>): Transform {
  return c === 'gzip' ? zlib.createGunzip() : z.createZstdDecompress!();
}
