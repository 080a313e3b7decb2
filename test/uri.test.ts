import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { EXIT, ExtractError } from '../src/errors.js';
import { redactText, redactUri, registerSecrets, resolveUri, scrub } from '../src/uri.js';

/** Each URI with the secrets that must not survive redaction, and a part that must (so we know it is still useful). */
const CASES: { uri: string; secrets: string[]; keeps: string }[] = [
  {
    uri: 'mongodb://user:s3cretPW@127.0.0.1:27017/db?authSource=admin',
    secrets: ['s3cretPW'],
    keeps: '127.0.0.1:27017/db',
  },
  { uri: 'mongodb+srv://user:s3cretPW@cluster0.example.net/db', secrets: ['s3cretPW'], keeps: 'cluster0.example.net' },
  {
    uri: 'mongodb://user:p%40ss%3Aw0rdX@h1:1,h2:2/?replicaSet=rs',
    secrets: ['p%40ss%3Aw0rdX', 'p@ss:w0rdX', 'w0rdX'],
    keeps: 'h1:1,h2:2',
  },
  { uri: 'mongodb://:s3cretPW@host/', secrets: ['s3cretPW'], keeps: 'host' },
  { uri: 'mongodb://user:s3cretPW@host:99999999/', secrets: ['s3cretPW'], keeps: 'host' },
  // not valid connection strings (unescaped characters in the password): the fallback must still mask them
  { uri: 'mongodb://user:ab/cdSECRET@host/', secrets: ['cdSECRET'], keeps: 'host' },
  { uri: 'mongodb://user:ab@cdSECRET@host/', secrets: ['cdSECRET'], keeps: 'host' },
  { uri: 'mongodb://user:ab?cdSECRET@host/', secrets: ['cdSECRET'], keeps: 'host' },
  { uri: 'mongodb://user:s3cretPW@', secrets: ['s3cretPW'], keeps: 'mongodb://' },
  // secrets in options
  {
    uri: 'mongodb://user@host/?authMechanism=MONGODB-AWS&authMechanismProperties=AWS_SESSION_TOKEN:tok3nSECRET',
    secrets: ['tok3nSECRET'],
    keeps: 'host',
  },
  { uri: 'mongodb://host/?tls=true&tlsCertificateKeyFilePassword=k3ySECRET', secrets: ['k3ySECRET'], keeps: 'host' },
  {
    uri: 'mongodb://host/?proxyHost=p&proxyUsername=u&proxyPassword=pr0xySECRET',
    secrets: ['pr0xySECRET'],
    keeps: 'host',
  },
];

describe('redactUri', () => {
  for (const { uri, secrets, keeps } of CASES) {
    test(`masks the secrets of ${uri.replace(/SECRET|s3cretPW|w0rdX/g, '…')}`, () => {
      const out = redactUri(uri);
      for (const s of secrets) assert.ok(!out.includes(s), `${JSON.stringify(s)} survives in ${out}`);
      assert.ok(out.includes(keeps), `${JSON.stringify(keeps)} should remain in ${out}`);
      assert.match(out, /^mongodb(\+srv)?:\/\//);
    });
  }

  test('a URI without secrets is left as it is', () => {
    for (const uri of ['mongodb://127.0.0.1:27017/', 'mongodb://a:1,b:2/db?replicaSet=rs&readPreference=secondary']) {
      assert.equal(redactUri(uri), uri);
    }
  });
});

describe('redactText', () => {
  test('masks every URI inside free text, quoted or not, and leaves the rest', () => {
    const text =
      'connect failed for "mongodb://a:s3cretA1@h1/x" and \'mongodb://b:s3cretB2@h2\' (mongodb+srv://c:s3cretC3@h3.example.net) then mongodb://d:s3cretD4@h4:1/\nsecond line';
    const out = redactText(text);
    for (const s of ['s3cretA1', 's3cretB2', 's3cretC3', 's3cretD4'])
      assert.ok(!out.includes(s), `${s} survives in ${out}`);
    assert.ok(out.startsWith('connect failed for "mongodb://'));
    assert.ok(out.endsWith('\nsecond line'));
    for (const h of ['h1', 'h2', 'h3.example.net', 'h4:1']) assert.ok(out.includes(h));
  });

  test('text without a URI is unchanged', () => {
    const text = 'cannot write /tmp/x.json: no space left on device';
    assert.equal(redactText(text), text);
  });
});

describe('registerSecrets and scrub', () => {
  test('a registered password is masked anywhere, also outside a URI', () => {
    registerSecrets('mongodb://user:hunter2Plain@host/');
    const out = scrub('auth failed: password hunter2Plain rejected; uri mongodb://user:hunter2Plain@host/');
    assert.ok(!out.includes('hunter2Plain'), out);
    assert.ok(out.startsWith('auth failed: password '));
  });

  test('a URL-encoded password is masked in both its encoded and its decoded form', () => {
    registerSecrets('mongodb://user:p%40ss%3Aw0rd%2FQ@host/');
    const out = scrub('raw p%40ss%3Aw0rd%2FQ, decoded p@ss:w0rd/Q, end');
    assert.ok(!out.includes('p%40ss%3Aw0rd%2FQ'), out);
    assert.ok(!out.includes('p@ss:w0rd/Q'), out);
    assert.ok(out.startsWith('raw ') && out.endsWith(', end'), out);
  });

  test("an SRV URI's password is registered too", () => {
    registerSecrets('mongodb+srv://user:srvPassw0rd@cluster0.example.net/');
    assert.ok(!scrub('x srvPassw0rd y').includes('srvPassw0rd'));
  });

  test('a malformed escape does not throw; the raw form is masked', () => {
    assert.doesNotThrow(() => registerSecrets('mongodb://user:bad%ZZescape@host/'));
    assert.ok(!scrub('was bad%ZZescape').includes('bad%ZZescape'));
  });

  test('a URI without a password registers nothing and scrub still redacts URIs', () => {
    registerSecrets('mongodb://user@host/');
    registerSecrets('mongodb://host/');
    assert.equal(scrub('user host plain text'), 'user host plain text');
    assert.ok(!scrub('see mongodb://z:zzTopSecret@h/').includes('zzTopSecret'));
  });
});

describe('resolveUri', () => {
  test('--uri wins over MONGO_URI; MONGO_URI is the fallback', () => {
    assert.equal(resolveUri('mongodb://a/', { MONGO_URI: 'mongodb://b/' }), 'mongodb://a/');
    assert.equal(resolveUri(undefined, { MONGO_URI: 'mongodb+srv://b.example.net/' }), 'mongodb+srv://b.example.net/');
  });

  test('no URI at all: usage error', () => {
    assert.throws(
      () => resolveUri(undefined, {}),
      (e: unknown) => e instanceof ExtractError && e.exitCode === EXIT.USAGE && /--uri|MONGO_URI/.test(e.message),
    );
  });

  test('not a mongodb:// URI: usage error that does not repeat the password', () => {
    for (const bad of ['http://user:w3bSECRET@host/', 'mongodbx://user:w3bSECRET@host/', 'user:w3bSECRET@host']) {
      assert.throws(
        () => resolveUri(bad, {}),
        (e: unknown) => e instanceof ExtractError && e.exitCode === EXIT.USAGE && !e.message.includes('w3bSECRET'),
        bad,
      );
    }
  });
});
