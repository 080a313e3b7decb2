import { redactConnectionString } from 'mongodb-connection-string-url';
import { usage } from './errors.js';

/**
 * The URI from --uri or MONGO_URI, its password registered as a secret so that no printed line can carry it. The
 * orchestrator passes it to children only through the environment.
 */
export function resolveUri(fromArgv: string | undefined, env: NodeJS.ProcessEnv = process.env): string {
  const uri = fromArgv ?? env.MONGO_URI;
  if (!uri) throw usage('no server given: pass --uri or set MONGO_URI');
  if (!/^mongodb(\+srv)?:\/\//.test(uri)) {
    throw usage(
      `--uri: expected a mongodb:// or mongodb+srv:// connection string, got ${JSON.stringify(redactUri(uri))}`,
    );
  }
  registerSecrets(uri);
  return uri;
}

/** A URI with its password and other secrets masked, whatever shape it has. */
export function redactUri(uri: string): string {
  let out = uri;
  try {
    if (/^mongodb(\+srv)?:\/\//i.test(uri)) out = redactConnectionString(uri);
  } catch {
    // unparsable: the fallback below still masks the user information
  }
  return out.includes('<credentials>@') ? out : out.replace(/^([^:/@]*:\/\/)?[^/?#]*@/, '$1<credentials>@');
}

/** Mask every mongodb URI's credentials inside free text (error messages from the driver or execa). */
export function redactText(text: string): string {
  return text.replace(/mongodb(\+srv)?:\/\/[^\s'"`]+/g, (m) => redactUri(m));
}

const secrets = new Set<string>();

/** Remember the URI's password (raw and decoded) so that no printed line can carry it. */
export function registerSecrets(uri: string): void {
  const m = /^mongodb(?:\+srv)?:\/\/[^:@/]*:([^@/]*)@/.exec(uri);
  if (m?.[1]) {
    secrets.add(m[1]);
    try {
      secrets.add(decodeURIComponent(m[1]));
    } catch {
      // a malformed escape: the raw form is registered already
    }
  }
}

/** redactText, plus every registered secret masked wherever it appears. */
export function scrub(text: string): string {
  let out = redactText(text);
  for (const s of secrets) if (s.length >= 3) out = out.split(s).join('<credentials>');
  return out;
}

/** The servers a connection string names (`h1:27017,h2:27017`, or the SRV name), for "connecting to …". */
export function serversOf(uri: string): string {
  const m = /^mongodb(\+srv)?:\/\/(?:[^@/?]*@)?([^/?]*)/.exec(uri);
  return m?.[2] || redactUri(uri);
}
