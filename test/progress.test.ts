// The three renderings of a command's phases, without a terminal: a fake stream stands in for the TTY (the
// terminal itself is test/cli/terminal.test.ts).
import assert from 'node:assert/strict';
import { EventEmitter } from 'node:events';
import { describe, test } from 'node:test';
import { createLogger } from '../src/log.js';

/** Erase the line (what the display writes before each redraw). */
const CLEAR = '\x1b[2K';

import { fit, jsonDisplay, lineDisplay, QUIET_MS, ttyDisplay } from '../src/progress.js';

/** What a terminal would be given: every write, in order. */
class FakeTty extends EventEmitter {
  writes: string[] = [];
  isTTY = true;
  constructor(public columns: number) {
    super();
  }
  write(s: string): boolean {
    this.writes.push(s);
    return true;
  }
  get text(): string {
    return this.writes.join('');
  }
  /** Each line as drawn: the text after the last \r (or clear) of every segment between newlines. */
  drawn(): string[] {
    return this.text
      .split('\n')
      .flatMap((l) => l.split('\r'))
      .map((l) => l.replaceAll(CLEAR, ''));
  }
}

const tty = (columns: number) => {
  const stream = new FakeTty(columns);
  const log = createLogger({ stream: stream as unknown as NodeJS.WritableStream });
  return { stream, display: ttyDisplay(log, stream as unknown as NodeJS.WriteStream) };
};

describe('fit: a status line never wider than the terminal', () => {
  test('parts are dropped from the end, whole', () => {
    const s = 'batches 3/12 · 1,234 docs · 5,000 docs/s · ETA 0:42 · 2 running · 1 failed · 2 retries';
    assert.equal(fit(s, 200), s);
    assert.equal(fit(s, 60), 'batches 3/12 · 1,234 docs · 5,000 docs/s · ETA 0:42');
    assert.equal(fit(s, 14), 'batches 3/12');
    assert.equal(fit(s, 8), 'batches…');
  });
  test('wide characters count double', () => {
    assert.equal(fit('日本語のコレクション · x', 21), '日本語のコレクション');
    assert.equal(fit('日本語のコレクション', 10), '日本語の…');
  });
});

describe('ttyDisplay', () => {
  test('the status line is redrawn in place, fits the width, and lines print above it', () => {
    const { stream, display } = tty(40);
    const run = display.begin('run', 'batches 0/9 · 0 docs · measuring rate · ETA --:-- · 0 running');
    display.info('batch 0: 100 documents in 0.1 s');
    run.update('batches 1/9 · 100 docs · 1,000 docs/s · ETA 0:01 · 2 running');
    run.end('done in 1 s');
    display.close();
    for (const line of stream.drawn()) assert.ok(line.length <= 39, `wider than the terminal: ${JSON.stringify(line)}`);
    const lines = stream.text.split('\n').map((l) => l.split('\r').at(-1)!.replaceAll(CLEAR, ''));
    assert.deepEqual(lines.filter(Boolean), ['batch 0: 100 documents in 0.1 s', 'done in 1 s']);
    assert.ok(stream.drawn().includes('batches 0/9 · 0 docs · measuring rate'), 'the status was drawn, cut whole');
  });
  test('a resize redraws at the new width', () => {
    const { stream, display } = tty(100);
    display.begin('run', 'batches 1/9 · 100 docs · 1,000 docs/s · ETA 0:01 · 2 running');
    stream.columns = 30;
    stream.writes = [];
    stream.emit('resize');
    assert.equal(stream.drawn().at(-1), 'batches 1/9 · 100 docs');
    display.close();
    assert.equal(stream.listenerCount('resize'), 0);
  });
  test('^C on a line of its own, then the status again', () => {
    const { stream, display } = tty(80);
    display.begin('run', 'batches 1/9');
    stream.writes = [];
    display.interrupted();
    display.error('extract-all: SIGINT: stopping');
    assert.ok(stream.text.startsWith(`\r${CLEAR}^C\n`));
    assert.deepEqual(stream.text.split('\n').slice(0, 2), ['\r\x1b[2K^C', 'extract-all: SIGINT: stopping']);
    assert.equal(stream.drawn().at(-1), 'batches 1/9', 'and the status below it');
  });
  test('--quiet: no status line', () => {
    const stream = new FakeTty(80);
    const log = createLogger({ level: 'quiet', stream: stream as unknown as NodeJS.WritableStream });
    const display = ttyDisplay(log, stream as unknown as NodeJS.WriteStream);
    display.begin('plan', 'planning').end('planned');
    display.error('boom');
    assert.equal(stream.text.replaceAll(`\r${CLEAR}`, ''), 'boom\n');
  });
});

describe('lineDisplay: plain lines', () => {
  const lines = () => {
    const out: string[] = [];
    const stream = { write: (s: string) => out.push(s) } as unknown as NodeJS.WritableStream;
    return { out, log: createLogger({ stream }) };
  };
  test('a phase over within a second says only its result', (t) => {
    t.mock.timers.enable({ apis: ['setTimeout'] });
    const { out, log } = lines();
    const a = lineDisplay(log).begin('connect', 'connecting to h:1 (waiting up to 15 s)');
    t.mock.timers.tick(QUIET_MS - 1);
    a.end();
    t.mock.timers.tick(QUIET_MS);
    assert.deepEqual(out, []);
  });
  test('a phase that waits says what it waits for after a second, then its result', (t) => {
    t.mock.timers.enable({ apis: ['setTimeout'] });
    const { out, log } = lines();
    const a = lineDisplay(log).begin('connect', 'connecting to h:1 (waiting up to 15 s)');
    a.update('connecting to h:1 · waited 0 s of 15');
    t.mock.timers.tick(QUIET_MS);
    a.end('connected');
    assert.deepEqual(out, ['connecting to h:1 · waited 0 s of 15\n', 'connected\n']);
  });
});

test('jsonDisplay: one JSON object per line, with the phase and the numbers', () => {
  const out: string[] = [];
  const stream = { write: (s: string) => out.push(s) } as unknown as NodeJS.WriteStream;
  const d = jsonDisplay('extract-all', 'normal', 0, stream);
  const run = d.begin('run', 'running 3 batches', { batches: 3 });
  run.update('batches 1/3', { done: 1, docs: 10, rate: 5 });
  d.info('batch 0: 10 documents in 0.1 s', { batch: 0, docs: 10, bytes: 99 });
  run.end('extract-all: complete', { docs: 30 });
  d.error('extract-all: boom');
  const rows = out.map((l) => JSON.parse(l) as Record<string, unknown>);
  assert.ok(out.every((l) => l.endsWith('\n') && !l.slice(0, -1).includes('\n')));
  assert.deepEqual(
    rows.map((r) => [r.level, r.phase, r.event, r.message]),
    [
      ['info', 'run', 'begin', 'running 3 batches'],
      ['info', 'run', 'progress', 'batches 1/3'],
      ['info', undefined, undefined, 'batch 0: 10 documents in 0.1 s'],
      ['info', 'run', 'end', 'complete'],
      ['error', undefined, undefined, 'boom'],
    ],
  );
  assert.equal(rows[1]!.rate, 5);
  assert.equal(rows[2]!.bytes, 99);
  assert.ok(rows.every((r) => r.command === 'extract-all' && typeof r.time === 'string'));
});
