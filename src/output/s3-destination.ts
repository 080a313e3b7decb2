import { createHash } from 'node:crypto';
import { createRequire } from 'node:module';
import { hostname } from 'node:os';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { fileURLToPath } from 'node:url';
import { ExtractError } from '../errors.js';
import { pidAlive } from '../pid.js';
import type { PlanFile } from '../plan/model.js';
import { parsePlanFile } from '../plan/plan-file.js';
import type { BatchWriter, Destination, DestinationLock } from './destination.js';
import {
  BATCH_OR_RECORD,
  batchFileName,
  DATA_FILE,
  LOCK_FILE,
  MANIFEST_FILE,
  PLAN_FILE,
  RECORD_FILE,
  recordFileName,
} from './layout.js';
import type { Manifest } from './manifest.js';
import { type BatchCheck, type BatchRecord, hashCheck, RECORD_FORMAT } from './record.js';
import { MultipartWriter } from './s3-upload.js';

/** `s3://bucket/prefix/`: where an export's objects go. */
export const isS3 = (location: string): boolean => location.startsWith('s3://');

/** The bucket and the key prefix (empty, or ending in `/`) of an `s3://` location. */
export function parseS3(location: string): { bucket: string; prefix: string } {
  const m = /^s3:\/\/([^/]+)\/?(.*)$/.exec(location);
  if (!m || !/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/.test(m[1]!)) {
    throw new ExtractError('USAGE', `--out ${location}: expected s3://BUCKET/PREFIX/ with a valid bucket name`);
  }
  const rest = m[2]!;
  return { bucket: m[1]!, prefix: rest === '' || rest.endsWith('/') ? rest : `${rest}/` };
}

/**
 * Parts of a batch's multipart upload, S3's smallest: a child holds one such buffer (src/output/s3-upload.ts). A
 * batch object can have 10,000 parts, so at most 50 GB (choose --batch-size or --batches below that).
 */
const PART_BYTES = 5 * 1024 * 1024;

type Sdk = typeof import('./s3-sdk.js');
/**
 * The SDK loads only in processes that write to S3: a local export never pays for it. A command runs from a bundle
 * (dist/bundle/*.cjs), beside which scripts/bundle.js puts s3.cjs: only what s3-sdk.ts names, tree-shaken (~0.4 MB;
 * loading it costs ~5 MiB and ~25 ms less than the SDK's own files). Unbundled (the unit tests), the SDK's packages.
 */
const here = fileURLToPath(import.meta.url);
const requireHere = createRequire(here);
let loaded: Sdk | undefined;
const sdk = async (): Promise<Sdk> => {
  loaded ??= here.endsWith('.cjs') ? (requireHere('./s3.cjs') as Sdk) : (requireHere('@aws-sdk/client-s3') as Sdk);
  return loaded;
};

/**
 * An export under an S3 prefix. Objects appear whole or not at all (a PutObject, or a multipart upload completed
 * after the last document); the record is written after its object and names its ETag; the lock is a conditional
 * write (`If-None-Match: *`). Credentials come from the AWS SDK's default chain, the endpoint from
 * AWS_ENDPOINT_URL_S3 / AWS_ENDPOINT_URL (path-style addressing then, as local servers need).
 */
export class S3Destination implements Destination {
  readonly location: string;
  readonly bucket: string;
  readonly prefix: string;
  private clientMade: Promise<InstanceType<Sdk['S3Client']>> | undefined;

  constructor(location: string) {
    const { bucket, prefix } = parseS3(location);
    this.bucket = bucket;
    this.prefix = prefix;
    this.location = `s3://${bucket}/${prefix}`;
  }

  pathOf(name: string): string {
    return `${this.location}${name}`;
  }

  private key(name: string): string {
    return `${this.prefix}${name}`;
  }

  private client(): Promise<InstanceType<Sdk['S3Client']>> {
    this.clientMade ??= sdk().then((s) => {
      // the pinned SDK warns on Node 20 that later releases need Node 22: the README says so, once, not every child
      process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
      const endpoint = process.env.AWS_ENDPOINT_URL_S3 || process.env.AWS_ENDPOINT_URL;
      return new s.S3Client({
        ...(process.env.AWS_REGION || process.env.AWS_DEFAULT_REGION ? {} : endpoint ? { region: 'us-east-1' } : {}),
        forcePathStyle: Boolean(endpoint),
        // throttling (SlowDown, 503) and dropped connections: the SDK's backoff, a few more times than its default
        maxAttempts: 6,
        // checksums where we ask for them (SHA-256), not an extra CRC32 over every part
        requestChecksumCalculation: 'WHEN_REQUIRED',
      });
    });
    return this.clientMade;
  }

  /** Run one S3 call; its failure becomes one line with an exit code. */
  private async call<T>(what: string, f: (c: InstanceType<Sdk['S3Client']>, s: Sdk) => Promise<T>): Promise<T> {
    const [c, s] = await Promise.all([this.client(), sdk()]);
    try {
      return await f(c, s);
    } catch (err) {
      throw s3Error(err, what, this.bucket);
    }
  }

  async prepare(): Promise<void> {
    await this.call(`s3://${this.bucket}`, (c, s) => c.send(new s.HeadBucketCommand({ Bucket: this.bucket })));
  }

  async discardIfUnused(): Promise<void> {
    // nothing is created before the plan: no directory to remove
  }

  async lock(): Promise<DestinationLock> {
    const key = this.key(LOCK_FILE);
    const me = { pid: process.pid, host: hostname(), startedAt: new Date().toISOString() };
    let tookOverFrom: typeof me | undefined;
    for (let attempt = 0; attempt < 3; attempt++) {
      const taken = await this.call(this.pathOf(LOCK_FILE), async (c, s) => {
        try {
          await c.send(
            new s.PutObjectCommand({
              Bucket: this.bucket,
              Key: key,
              Body: `${JSON.stringify(me)}\n`,
              IfNoneMatch: '*',
            }),
          );
          return true;
        } catch (err) {
          if (status(err) === 412 || status(err) === 409) return false;
          throw err;
        }
      });
      if (taken) {
        const release = async () => {
          const now = await this.getJson<typeof me>(LOCK_FILE);
          if (now?.pid === me.pid && now.host === me.host) await this.delete(LOCK_FILE).catch(() => {});
        };
        return tookOverFrom ? { release, tookOverFrom } : { release };
      }
      const holder = await this.getJson<typeof me>(LOCK_FILE);
      if (holder && (holder.host !== me.host || pidAlive(holder.pid))) {
        throw new ExtractError(
          'BUSY',
          `${this.location} is in use by another run (pid ${holder.pid} on ${holder.host}, since ${holder.startedAt}); wait for it, or delete ${this.pathOf(LOCK_FILE)} if that run is gone`,
        );
      }
      tookOverFrom = holder;
      await this.delete(LOCK_FILE);
    }
    throw new ExtractError('BUSY', `could not take the lock ${this.pathOf(LOCK_FILE)}`);
  }

  async readPlan(): Promise<PlanFile | undefined> {
    const text = await this.getText(PLAN_FILE);
    if (text === undefined) return undefined;
    try {
      return parsePlanFile(text);
    } catch (err) {
      throw new ExtractError('USAGE', `${this.pathOf(PLAN_FILE)}: ${(err as Error).message}`);
    }
  }

  writePlan(plan: PlanFile): Promise<void> {
    return this.put(PLAN_FILE, `${JSON.stringify(plan, null, 2)}\n`);
  }

  async retireEarlier(plan: PlanFile): Promise<number> {
    const keep = new Set(plan.batches.map((b) => batchFileName(plan, b.index)));
    const names = await this.list();
    const old = names.filter((n) => RECORD_FILE.test(n) || n === MANIFEST_FILE || (DATA_FILE.test(n) && !keep.has(n)));
    // records first: from the first removal on, nothing vouches for an object of the earlier export
    old.sort((a, b) => Number(!RECORD_FILE.test(a)) - Number(!RECORD_FILE.test(b)));
    for (const n of old) await this.delete(n);
    return old.length;
  }

  async strayBatchFiles(): Promise<string[]> {
    return (await this.list()).filter((n) => BATCH_OR_RECORD.test(n));
  }

  /** Abort the multipart uploads of batch objects under the prefix that writers now gone left incomplete. */
  async removeStale(): Promise<number> {
    let removed = 0;
    let keyMarker: string | undefined;
    let uploadIdMarker: string | undefined;
    for (;;) {
      const page = await this.call(this.location, (c, s) =>
        c.send(
          new s.ListMultipartUploadsCommand({
            Bucket: this.bucket,
            Prefix: this.prefix,
            ...(keyMarker ? { KeyMarker: keyMarker, UploadIdMarker: uploadIdMarker } : {}),
          }),
        ),
      );
      for (const u of page.Uploads ?? []) {
        const name = u.Key?.slice(this.prefix.length) ?? '';
        if (!DATA_FILE.test(name) || !u.UploadId) continue;
        await this.call(this.pathOf(name), (c, s) =>
          c.send(new s.AbortMultipartUploadCommand({ Bucket: this.bucket, Key: u.Key, UploadId: u.UploadId })),
        );
        removed++;
      }
      if (!page.IsTruncated) return removed;
      keyMarker = page.NextKeyMarker;
      uploadIdMarker = page.NextUploadIdMarker;
    }
  }

  async openBatch(plan: PlanFile, index: number): Promise<BatchWriter> {
    const name = batchFileName(plan, index);
    const [c, s] = await Promise.all([this.client(), sdk()]);
    // a record of an earlier run of this batch no longer vouches for the object this run replaces
    await this.delete(recordFileName(plan, index));
    const upload = new MultipartWriter(c, s, this.bucket, this.key(name), PART_BYTES);
    const abort = async (): Promise<void> => {
      upload.destroy();
      await upload.abort();
    };
    return {
      stream: upload,
      publish: async (record) => {
        let etag: string | undefined;
        try {
          etag = await upload.done;
        } catch (err) {
          throw s3Error(err, this.pathOf(name), this.bucket);
        }
        const r = { ...record(), ...(etag ? { etag } : {}) };
        await this.put(recordFileName(plan, index), `${JSON.stringify(r, null, 2)}\n`);
      },
      abort,
      abortNow: () => abort(),
    };
  }

  async readRecord(plan: PlanFile, index: number): Promise<BatchRecord | undefined> {
    try {
      const rec = await this.getJson<BatchRecord>(recordFileName(plan, index));
      return rec?.format === RECORD_FORMAT ? rec : undefined;
    } catch {
      return undefined;
    }
  }

  async checkBatch(plan: PlanFile, index: number, options: { hash: boolean }): Promise<BatchCheck> {
    const record = await this.readRecord(plan, index);
    if (!record) return { ok: false, reason: 'no record' };
    if (record.planId !== plan.planId || record.batch !== index)
      return { ok: false, reason: 'record belongs to another plan', record };
    const name = batchFileName(plan, index);
    const head = await this.call(this.pathOf(name), async (c, s) => {
      try {
        return await c.send(
          new s.HeadObjectCommand({ Bucket: this.bucket, Key: this.key(name), ChecksumMode: 'ENABLED' }),
        );
      } catch (err) {
        if (status(err) === 404) return undefined;
        throw err;
      }
    });
    if (!head) return { ok: false, reason: 'record without data file', record };
    const size = head.ContentLength ?? -1;
    if (size !== record.bytes)
      return { ok: false, reason: `file has ${size} bytes, record says ${record.bytes}`, record };
    const etag = (record as BatchRecord & { etag?: string }).etag;
    if (etag && head.ETag && head.ETag !== etag)
      return { ok: false, reason: 'object is not the one its record describes (ETag differs)', record };
    if (!options.hash) return { ok: true, record };
    // a store that keeps the whole object's SHA-256 vouches for it; a multipart checksum (…-N) covers parts only
    const stored = head.ChecksumSHA256;
    const sha =
      stored && !stored.includes('-')
        ? Buffer.from(stored, 'base64').toString('hex')
        : await this.sha256Of(name).catch((err: unknown) => `unreadable: ${(err as Error).message}`);
    return hashCheck(sha, record);
  }

  writeManifest(manifest: Manifest): Promise<void> {
    return this.put(MANIFEST_FILE, `${JSON.stringify(manifest, null, 1)}\n`);
  }

  /** The object's bytes, for a reader (merge, a verify that streams). */
  read(name: string): Promise<Readable> {
    return this.readRange(name, 0, Number.POSITIVE_INFINITY);
  }

  async readRange(name: string, start: number, end: number): Promise<Readable> {
    const whole = start === 0 && !Number.isFinite(end);
    const range = whole ? {} : { Range: `bytes=${start}-${Number.isFinite(end) ? end - 1 : ''}` };
    const r = await this.call(this.pathOf(name), (c, s) =>
      c.send(new s.GetObjectCommand({ Bucket: this.bucket, Key: this.key(name), ...range })),
    );
    return r.Body as Readable;
  }

  private async sha256Of(name: string): Promise<string> {
    const hash = createHash('sha256');
    await pipeline(await this.read(name), hash);
    return hash.digest('hex');
  }

  private put(name: string, text: string): Promise<void> {
    return this.call(this.pathOf(name), async (c, s) => {
      await c.send(
        new s.PutObjectCommand({
          Bucket: this.bucket,
          Key: this.key(name),
          Body: text,
          ContentType: 'application/json',
          ChecksumAlgorithm: 'SHA256',
        }),
      );
    });
  }

  private delete(name: string): Promise<void> {
    return this.call(this.pathOf(name), async (c, s) => {
      await c.send(new s.DeleteObjectCommand({ Bucket: this.bucket, Key: this.key(name) }));
    });
  }

  private async getText(name: string): Promise<string | undefined> {
    return this.call(this.pathOf(name), async (c, s) => {
      try {
        const r = await c.send(new s.GetObjectCommand({ Bucket: this.bucket, Key: this.key(name) }));
        return await r.Body!.transformToString('utf8');
      } catch (err) {
        if (status(err) === 404) return undefined;
        throw err;
      }
    });
  }

  private async getJson<T>(name: string): Promise<T | undefined> {
    const text = await this.getText(name);
    if (text === undefined) return undefined;
    try {
      return JSON.parse(text) as T;
    } catch {
      return undefined;
    }
  }

  /** The names directly under the prefix. */
  private async list(): Promise<string[]> {
    const names: string[] = [];
    let token: string | undefined;
    do {
      const page = await this.call(this.location, (c, s) =>
        c.send(
          new s.ListObjectsV2Command({
            Bucket: this.bucket,
            Prefix: this.prefix,
            Delimiter: '/',
            ...(token ? { ContinuationToken: token } : {}),
          }),
        ),
      );
      for (const o of page.Contents ?? []) if (o.Key) names.push(o.Key.slice(this.prefix.length));
      token = page.IsTruncated ? page.NextContinuationToken : undefined;
    } while (token);
    return names;
  }
}

const status = (err: unknown): number | undefined =>
  (err as { $metadata?: { httpStatusCode?: number } })?.$metadata?.httpStatusCode;

/**
 * An S3 failure as one line with an exit code: the user's mistakes (no such bucket, wrong region: 6; access
 * denied, bad keys: 4) are permanent; a store that cannot be reached or that failed the request is exit 1, which
 * the orchestrator retries. Never a credential: the SDK's messages do not hold the secret key.
 */
export function s3Error(err: unknown, what: string, bucket: string): ExtractError {
  if (err instanceof ExtractError) return err;
  const e = err as { name?: string; Code?: string; message?: string; code?: string };
  const name = e?.name ?? e?.Code ?? '';
  const http = status(err);
  const message = String(e?.message ?? err).split('\n')[0];
  if (name === 'NoSuchBucket' || (http === 404 && what === `s3://${bucket}`)) {
    return new ExtractError('OUTPUT', `${what}: no such bucket (create it first, or check --out)`, {
      cause: err,
      global: true,
    });
  }
  if (
    ['PermanentRedirect', 'AuthorizationHeaderMalformed', 'IllegalLocationConstraintException'].includes(name) ||
    http === 301
  ) {
    return new ExtractError('OUTPUT', `${what}: the bucket is in another region: set AWS_REGION (${name || http})`, {
      cause: err,
      global: true,
    });
  }
  if (
    [
      'AccessDenied',
      'InvalidAccessKeyId',
      'SignatureDoesNotMatch',
      'ExpiredToken',
      'CredentialsProviderError',
    ].includes(name) ||
    http === 403
  ) {
    return new ExtractError('AUTH', `${what}: access denied by the object store (${name || http}: ${message})`, {
      cause: err,
    });
  }
  if (
    /ECONNREFUSED|ENOTFOUND|ECONNRESET|ETIMEDOUT|EPIPE|socket hang up|TimeoutError/i.test(
      `${name} ${e?.code} ${message}`,
    )
  ) {
    return new ExtractError('FAILED', `${what}: cannot reach the object store: ${message}`, { cause: err });
  }
  return new ExtractError('FAILED', `${what}: object store error: ${name ? `${name}: ` : ''}${message}`, {
    cause: err,
  });
}
