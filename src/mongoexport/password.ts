import type { Logger } from '../log.js';

/**
 * `-u` without `-p`, as mongoexport asks: on a terminal, `Enter password for mongo user:` and a read without echo;
 * otherwise the first line of standard input.
 */
export async function askPassword(log: Logger): Promise<string> {
  const stdin = process.stdin;
  if (!stdin.isTTY) log.info('reading password from standard input');
  // echo off before the prompt shows: whoever types at the prompt is never echoed
  if (stdin.isTTY) stdin.setRawMode(true);
  process.stderr.write('Enter password for mongo user:');
  const password = await new Promise<string>((done) => {
    let text = '';
    const finish = () => {
      stdin.removeListener('data', onData);
      stdin.removeListener('end', finish);
      if (stdin.isTTY) stdin.setRawMode(false);
      stdin.pause();
      done(text);
    };
    const onData = (chunk: Buffer) => {
      for (const c of chunk.toString('utf8')) {
        if (c === '\n' || c === '\r' || c === '\u0004') return finish();
        if (c === '\u0003') {
          // Ctrl-C in raw mode is a character: end as the signal would have ended us
          if (stdin.isTTY) stdin.setRawMode(false);
          process.stderr.write('\n');
          process.kill(process.pid, 'SIGINT');
          return;
        }
        if (c === '\u007f' || c === '\b') text = text.slice(0, -1);
        else if (c !== '\0') text += c;
      }
    };
    stdin.on('data', onData);
    stdin.once('end', finish);
    stdin.resume();
  });
  process.stderr.write('\n');
  return password;
}
