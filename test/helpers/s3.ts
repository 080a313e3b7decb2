// The S3 store the tests write to: versitygw started by scripts/versitygw.js over a temporary directory (or the store
// S3_ENDPOINT names, with the AWS_* credentials of the environment), one bucket per test file, and ways to read it.
import { join } from 'node:path';
import { after, before } from 'node:test';
import { pathToFileURL } from 'node:url';
import {
  CreateBucketCommand,
  GetObjectCommand,
  ListMultipartUploadsCommand,
  ListObjectsV2Command,
  S3Client,
} from '@aws-sdk/client-s3';
import { repoRoot } from './cli.js';
import { parseOutput } from './read-output.js';

export interface Store {
  /** What a child needs to reach it: AWS_ENDPOINT_URL_S3, AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, AWS_REGION. */
  env: Record<string, string>;
  secretKey: string;
  stop(): Promise<void>;
  /** versitygw only: stop it (as a crash with SIGKILL) and start it again on the same port and directory. */
  kill?(signal?: string): Promise<void>;
  start?(): Promise<void>;
}

export interface TestStore {
  /** Why there is no store here (the tests skip, saying so), or undefined. */
  readonly unavailable: string | undefined;
  /** Whether S3_ENDPOINT names a store the tests did not start (and cannot restart). */
  readonly external: boolean;
  readonly store: Store;
  readonly client: S3Client;
  readonly bucket: string;
  /** `s3://bucket/prefix/`. */
  url(prefix: string): string;
  /** The object names under `prefix/`, sorted. */
  names(prefix: string): Promise<string[]>;
  text(key: string): Promise<string>;
  /** Every `_id` in the batch objects under `prefix/`, as JSON, sorted. */
  idsUnder(prefix: string): Promise<string[]>;
  /** The multipart uploads in progress under `prefix/`. */
  uploads(prefix: string): Promise<unknown[]>;
}

/** Start (or reach) the store before the file's first test, with a bucket of its own; stop it after the last. */
export async function withStore(label: string): Promise<TestStore> {
  const vgw = (await import(pathToFileURL(join(repoRoot, 'scripts', 'versitygw.js')).href)) as {
    versityUnavailable(): string | undefined;
    startVersity(): Promise<Store>;
  };
  const external = process.env.S3_ENDPOINT;
  const unavailable = external ? undefined : vgw.versityUnavailable();
  const bucket = `mpe-${label}-${process.pid}`.toLowerCase().replace(/[^a-z0-9-]/g, '-');
  let store: Store | undefined;
  let client: S3Client | undefined;
  before(async () => {
    if (unavailable) return;
    store = external
      ? {
          env: { AWS_ENDPOINT_URL_S3: external },
          secretKey: process.env.AWS_SECRET_ACCESS_KEY ?? '\u0000none',
          stop: async () => {},
        }
      : await vgw.startVersity();
    // the pinned SDK's Node 20 notice, as the commands silence it (src/output/s3-destination.ts)
    process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
    client = new S3Client({
      endpoint: store.env.AWS_ENDPOINT_URL_S3,
      forcePathStyle: true,
      region: store.env.AWS_REGION ?? process.env.AWS_REGION ?? 'us-east-1',
      ...(store.env.AWS_ACCESS_KEY_ID
        ? {
            credentials: {
              accessKeyId: store.env.AWS_ACCESS_KEY_ID,
              secretAccessKey: store.env.AWS_SECRET_ACCESS_KEY!,
            },
          }
        : {}),
    });
    await client.send(new CreateBucketCommand({ Bucket: bucket }));
  });
  after(async () => {
    client?.destroy();
    await store?.stop();
  });
  const c = (): S3Client => client!;
  const names = async (prefix: string): Promise<string[]> => {
    const r = await c().send(new ListObjectsV2Command({ Bucket: bucket, Prefix: `${prefix}/` }));
    return (r.Contents ?? []).map((o) => o.Key!.slice(prefix.length + 1)).sort();
  };
  const text = async (key: string): Promise<string> =>
    (await c().send(new GetObjectCommand({ Bucket: bucket, Key: key }))).Body!.transformToString('utf8');
  return {
    unavailable,
    external: Boolean(external),
    get store() {
      return store!;
    },
    get client() {
      return c();
    },
    bucket,
    url: (prefix) => `s3://${bucket}/${prefix}/`,
    names,
    text,
    async idsUnder(prefix) {
      const ids: string[] = [];
      for (const n of (await names(prefix)).filter((x) => x.startsWith('batch-'))) {
        ids.push(...parseOutput(await text(`${prefix}/${n}`), n).ids.map((id) => JSON.stringify(id)));
      }
      return ids.sort();
    },
    async uploads(prefix) {
      return (await c().send(new ListMultipartUploadsCommand({ Bucket: bucket, Prefix: `${prefix}/` }))).Uploads ?? [];
    },
  };
}
