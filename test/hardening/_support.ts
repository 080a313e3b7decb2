// Support for the hardening suite: fault injection into real child processes through a NODE_OPTIONS preload.
// No hooks in src/: the preload patches the driver's cursor in the child only.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { BATCH_BUNDLE, BUNDLE } from '../helpers/cli.js';
import { COMMAND_OF_PROCESS } from '../helpers/proc.js';
import { fastFlags } from '../helpers/run.js';
import { waitFor } from '../helpers/wait.js';

/**
 * The preload (CommonJS, run by every node process started with NODE_OPTIONS=--require it, i.e. extract-all and
 * each extract-batch child it starts). MPE_FI lists actions `name[:batch]`; an action aimed at a batch fires once
 * per batch across attempts (a marker file in MPE_FI_DIR), so the retry runs clean.
 *   hang          the batch's cursor never yields (SIGTERM still ends the process)
 *   hang-noterm   same, and SIGTERM is ignored: only SIGKILL ends it
 *   pause         after the first document (the MPE_FI_PAUSE_AT-th), write the cursor id to pause-K.cursor and wait
 *                 for the file go-K (at most 60 s, and only while MPE_FI_DIR exists; hangs end themselves after 120 s)
 *   kill          each of the first MPE_FI_KILLS cursors (default 1) of the batch kills
 *                 itself on the server (killCursors, the command another connection sends) after its MPE_FI_KILL_AT-th
 *                 document, counted across the batch's attempts in the file kills-K
 *   reads         at exit, the documents the batch's find cursors returned go to reads-K-PID
 *   MPE_FI_BATCHSIZE=N  (with any action) the batch's find cursors ask for N documents per reply, so that a cursor
 *                 killed mid-batch still has documents on the server
 *   junk          write junk to stdout and to the report descriptor (fd 3) before running normally
 *   exit0         write junk to stdout and exit 0 at once, having done nothing
 *   badutf8       (every batch) the first "xx" in each raw document the cursor returns becomes 0xff 'x': invalid UTF-8,
 *                 as MongoDB stores it (FerretDB replaces invalid UTF-8 on insert, so no server here can hold it)
 *   cmdline       (every child) copy /proc/self/cmdline to cmdline-PID
 *   hwm           (every process) write VmHWM in kB to hwm-{all,batch}-PID at exit
 *   renames       (extract-all) append every rename target to renames-all
 */
const PRELOAD = String.raw`
'use strict';
const fs = require('fs');
const path = require('path');
const dir = process.env.MPE_FI_DIR;
const spec = (process.env.MPE_FI || '').split(',').filter(Boolean);
const command = ${COMMAND_OF_PROCESS};
const isBatch = command === 'extract-batch';
const isAll = command === 'extract-all';
const bi = process.argv.indexOf('--batch');
const batch = bi >= 0 ? process.argv[bi + 1] : undefined;
const once = (name) => { try { fs.closeSync(fs.openSync(path.join(dir, 'fired-' + name), 'wx')); return true; } catch { return false; } };
// the driver inside the bundle this command runs from (each bundle exports its cursor classes for this)
const driver = () => require(isBatch ? process.env.MPE_FI_BATCH_BUNDLE : process.env.MPE_FI_BUNDLE);
// the batch's find cursor only (not listCollections and the like, which also inherit next())
const cursorProto = () => driver().FindCursor.prototype;
const keepAlive = () => setInterval(() => {}, 1 << 30);
const env = (name, dflt) => Number(process.env[name] || dflt);
if (isBatch && process.env.MPE_FI_BATCHSIZE) {
  const proto = driver().FindCursor.prototype;
  const orig = proto.next;
  proto.next = function () {
    if (!this.__fiSized) { this.__fiSized = true; try { this.batchSize(env('MPE_FI_BATCHSIZE')); } catch {} }
    return orig.call(this);
  };
}
for (const s of spec) {
  const [act, target] = s.split(':');
  if (act === 'hwm') {
    process.on('exit', () => {
      const m = /VmHWM:\s+(\d+)/.exec(fs.readFileSync('/proc/self/status', 'utf8'));
      fs.writeFileSync(path.join(dir, 'hwm-' + (isBatch ? 'batch' : isAll ? 'all' : 'other') + '-' + process.pid), m ? m[1] : '0');
    });
    continue;
  }
  if (act === 'renames') {
    if (!isAll) continue;
    const fsp = require('fs/promises');
    const orig = fsp.rename;
    fsp.rename = async (a, b) => { fs.appendFileSync(path.join(dir, 'renames-all'), path.basename(String(b)) + '\n'); return orig(a, b); };
    require('module').syncBuiltinESMExports();
    continue;
  }
  if (!isBatch) continue;
  if (target !== undefined && target !== '*' && target !== batch) continue;
  if (act === 'reads') {
    const proto = cursorProto();
    const orig = proto.next;
    let reads = 0;
    proto.next = async function () { const d = await orig.call(this); if (d) reads++; return d; };
    process.on('exit', () => fs.writeFileSync(path.join(dir, 'reads-' + batch + '-' + process.pid), String(reads)));
    continue;
  }
  if (act === 'kill') {
    const proto = cursorProto();
    const orig = proto.next;
    const at = env('MPE_FI_KILL_AT', 1);
    const counter = path.join(dir, 'kills-' + batch);
    proto.next = async function () {
      const d = await orig.call(this);
      this.__fiKillSeen = (this.__fiKillSeen || 0) + (d ? 1 : 0);
      // counted across the batch's attempts (processes): the kills after the last leave its cursors alone
      const kills = fs.existsSync(counter) ? Number(fs.readFileSync(counter, 'utf8')) : 0;
      if (d && this.__fiKillSeen === at && kills < env('MPE_FI_KILLS', 1)) {
        const ns = this.namespace;
        await this.client.db(ns.db).command({ killCursors: ns.collection, cursors: [this.id] });
        fs.writeFileSync(counter, String(kills + 1));
      }
      return d;
    };
    continue;
  }
  if (act === 'badutf8') {
    const orig = cursorProto().next;
    cursorProto().next = async function () {
      const d = await orig.call(this);
      if (d instanceof Uint8Array) {
        const i = Buffer.from(d.buffer, d.byteOffset, d.byteLength).indexOf('xx');
        if (i > 0) d[i] = 0xff;
      }
      return d;
    };
    continue;
  }
  if (act === 'cmdline') { fs.writeFileSync(path.join(dir, 'cmdline-' + process.pid), fs.readFileSync('/proc/self/cmdline')); continue; }
  if (!once(act + '-' + batch)) continue;
  fs.writeFileSync(path.join(dir, act + '-' + batch + '.pid'), String(process.pid));
  if (act === 'hang' || act === 'hang-noterm') {
    if (act === 'hang-noterm') {
      process.on('SIGTERM', () => {});
      for (const m of ['on', 'once', 'addListener', 'prependListener']) {
        const orig = process[m].bind(process);
        process[m] = (ev, fn) => (ev === 'SIGTERM' ? process : orig(ev, fn));
      }
    }
    keepAlive();
    // never outlive a test that failed to clean up
    setTimeout(() => process.exit(98), 120000).unref();
    cursorProto().next = () => new Promise(() => {});
  } else if (act === 'pause') {
    const proto = cursorProto();
    const orig = cursorProto().next;
    let paused = false;
    proto.next = async function () {
      const d = await orig.call(this);
      this.__fiPauseSeen = (this.__fiPauseSeen || 0) + (d ? 1 : 0);
      if (!paused && d && this.__fiPauseSeen >= env('MPE_FI_PAUSE_AT', 1)) {
        paused = true;
        fs.writeFileSync(path.join(dir, 'pause-' + batch + '.cursor'), String(this.id));
        const until = Date.now() + 60000;
        while (!fs.existsSync(path.join(dir, 'go-' + batch))) {
          // the test is gone (its directory removed) or never said go: do not linger
          if (!fs.existsSync(dir) || Date.now() > until) process.exit(97);
          await new Promise((r) => setTimeout(r, 20));
        }
      }
      return d;
    };
  } else if (act === 'junk') {
    fs.writeSync(1, 'junk on stdout\n' + '\u0000\u00ff'.repeat(1000) + '\n[{"not":"a document"\n');
    const lines = ['not json at all', '{"type":"result","docs":-5,"bytes":1,"sha256":"x","seconds":0,"file":"/etc/passwd"}',
      '{"type":"progress","docs":"many"}', '{"type":"error","code":"OUTPUT","global":true,"message":"fake"}', 'x'.repeat(200000)];
    try { fs.writeSync(3, lines.join('\n') + '\n'); } catch {}
  } else if (act === 'exit0') {
    fs.writeSync(1, 'done!\n{"type":"result","docs":0}\n');
    process.exit(0);
  }
}
`;

export interface Faults {
  dir: string;
  /** Environment for extract-all (inherited by its children). */
  env(actions: string[], extra?: Record<string, string>): Record<string, string>;
  file(name: string): string;
  has(name: string): boolean;
  read(name: string): string;
  /** Let a paused batch go on. */
  go(batch: number): Promise<void>;
  /** Wait until batch K paused; returns its cursor id and pid. */
  paused(batch: number, timeout?: number): Promise<{ cursorId: string; pid: number }>;
  list(prefix: string): string[];
}

export async function faults(dir: string): Promise<Faults> {
  await mkdir(dir, { recursive: true });
  const preload = join(dir, 'preload.cjs');
  await writeFile(preload, PRELOAD);
  const file = (name: string) => join(dir, name);
  return {
    dir,
    env: (actions, extra = {}) => ({
      NODE_OPTIONS: `--require ${preload}`,
      MPE_FI: actions.join(','),
      MPE_FI_DIR: dir,
      MPE_FI_BUNDLE: BUNDLE,
      MPE_FI_BATCH_BUNDLE: BATCH_BUNDLE,
      ...extra,
    }),
    file,
    has: (name) => existsSync(file(name)),
    read: (name) => readFileSync(file(name), 'utf8'),
    go: (batch) => writeFile(file(`go-${batch}`), ''),
    async paused(batch, timeout = 20_000) {
      const cursorId = await waitFor(
        () => existsSync(file(`pause-${batch}.cursor`)) && readFileSync(file(`pause-${batch}.cursor`), 'utf8'),
        {
          what: `batch ${batch} to pause mid-stream`,
          timeout,
          interval: 20,
        },
      );
      return { cursorId, pid: Number(readFileSync(file(`pause-${batch}.pid`), 'utf8')) };
    },
    list: (prefix) => readdirSync(dir).filter((n) => n.startsWith(prefix)),
  };
}

/** Fast failures for the hardening runs: a short connect timeout (their servers are up or deliberately down). */
export const FAST = fastFlags({ connectTimeout: 2, quiet: false });
