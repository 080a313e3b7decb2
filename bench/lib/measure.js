// Run one command and measure it from the outside.
//
// - Wall seconds: from spawn to exit, in this process.
// - CPU seconds of the whole process tree (the tool, its children, their children…): GNU time's %U+%S when
//   /usr/bin/time is GNU time; otherwise a /bin/sh wrapper that prints its own /proc/self/stat cutime+cstime after
//   waiting for the tool. Both are getrusage(RUSAGE_CHILDREN) of the wrapper: every process of the tree that was
//   waited for by its parent is included, at the kernel's accounting (10 ms ticks).
// - Peak RSS per process: /proc/<pid>/status VmHWM of every process of the tree, sampled every `sampleMs`
//   (children are found through /proc/<pid>/task/<tid>/children). The orchestrator is the wrapper's child; deeper
//   processes are "children". A child's last ~sampleMs before it exits can be missed; GNU time's %M (the largest
//   process of the tree) is kept as a cross-check.
// - Server CPU seconds: utime+stime of the server process from /proc/<pid>/stat, before and after.

import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';

const CLK_TCK = 100; // USER_HZ on Linux

export function detectCpuMethod() {
  const r = spawnSync('/usr/bin/time', ['--version'], { encoding: 'utf8' });
  const text = `${r.stdout ?? ''}${r.stderr ?? ''}`;
  if (!r.error && /GNU time/i.test(text))
    return { kind: 'gnu-time', path: '/usr/bin/time', version: text.trim().split('\n')[0] };
  return {
    kind: 'proc-stat',
    why: r.error
      ? `/usr/bin/time not found (${r.error.code}); install it with apt-get install -y time`
      : '/usr/bin/time is not GNU time',
  };
}

/** utime+stime of a process in seconds, or null when it is gone. */
export function processCpuSeconds(pid) {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(f[11]) + Number(f[12])) / CLK_TCK;
  } catch {
    return null;
  }
}

function readChildren(pid) {
  const out = [];
  let tids;
  try {
    tids = fs.readdirSync(`/proc/${pid}/task`);
  } catch {
    return out;
  }
  for (const tid of tids) {
    try {
      const s = fs.readFileSync(`/proc/${pid}/task/${tid}/children`, 'utf8').trim();
      if (s) for (const c of s.split(' ')) out.push(Number(c));
    } catch {
      // thread or process gone
    }
  }
  return out;
}

/** Start time of a process (clock ticks after boot): with the pid, it names one process even after pid reuse. */
function startTime(pid) {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19];
  } catch {
    return null;
  }
}

const round3 = (x) => Math.round(x * 1000) / 1000;

function readStatus(pid) {
  try {
    const s = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
    const hwm = /VmHWM:\s+(\d+) kB/.exec(s);
    const rss = /VmRSS:\s+(\d+) kB/.exec(s);
    const name = /Name:\s+(\S+)/.exec(s);
    return { hwmKiB: hwm ? Number(hwm[1]) : 0, rssKiB: rss ? Number(rss[1]) : 0, name: name ? name[1] : '?' };
  } catch {
    return null;
  }
}

/** Samples the process tree under rootPid; `procs` maps pid -> { depth, name, hwmKiB }. */
class TreeSampler {
  constructor(rootPid, sampleMs) {
    this.rootPid = rootPid;
    this.procs = new Map();
    this.samples = 0;
    this.timer = setInterval(() => this.sample(), sampleMs);
    this.sample();
  }
  sample() {
    this.samples++;
    const stack = [[this.rootPid, 0]];
    while (stack.length) {
      const [pid, depth] = stack.pop();
      if (depth > 0) {
        const st = readStatus(pid);
        if (!st) continue;
        const prev = this.procs.get(pid);
        if (!prev) this.procs.set(pid, { depth, name: st.name, hwmKiB: st.hwmKiB, start: startTime(pid) });
        else if (st.hwmKiB > prev.hwmKiB) prev.hwmKiB = st.hwmKiB;
      }
      if (depth < 8) for (const c of readChildren(pid)) stack.push([c, depth + 1]);
    }
  }
  stop() {
    clearInterval(this.timer);
  }
  /** pids of the tree still alive (for cleanup after a kill): the same processes, not reused pids. */
  alive() {
    return [...this.procs.entries()]
      .filter(([pid, p]) => p.start !== null && startTime(pid) === p.start)
      .map(([pid]) => pid);
  }
}

/**
 * Run cmd with args; resolves with the measurements (never rejects for a failing command).
 * opts: { env, cwd, logPrefix (path prefix for .out/.err files), serverPid, sampleMs, timeoutMs, stopAfterMs, cpuMethod }
 * stopAfterMs: SIGTERM the tool after that long (a bounded run), then SIGKILL its tree 10 s later.
 * series: { everyMs, probe() }: every everyMs, the tool's current RSS (VmRSS) with what probe() returns, in
 * `series` of the result: [{ seconds, rssKiB, ...probe() }] (a curve, where the peak is one number).
 */
export async function measureCommand(cmd, args, opts) {
  const {
    env = process.env,
    cwd,
    logPrefix,
    serverPid,
    sampleMs = 50,
    timeoutMs = 30 * 60_000,
    stopAfterMs,
    cpuMethod,
    series: seriesOpts,
  } = opts;
  fs.mkdirSync(path.dirname(logPrefix), { recursive: true });
  const timeFile = `${logPrefix}.rusage`;
  fs.rmSync(timeFile, { force: true });
  let wrapper;
  let wrapperArgs;
  if (cpuMethod.kind === 'gnu-time') {
    wrapper = cpuMethod.path;
    wrapperArgs = ['-f', '%e %U %S %M', '-o', timeFile, cmd, ...args];
  } else {
    wrapper = '/bin/sh';
    wrapperArgs = ['-c', '"$@"; rc=$?; cat /proc/$$/stat > "$0"; exit $rc', timeFile, cmd, ...args];
  }
  const outFd = fs.openSync(`${logPrefix}.out`, 'w');
  const errFd = fs.openSync(`${logPrefix}.err`, 'w');
  const server0 = serverPid ? processCpuSeconds(serverPid) : null;
  const t0 = performance.now();
  let child;
  try {
    child = spawn(wrapper, wrapperArgs, { env, cwd, stdio: ['ignore', outFd, errFd] });
  } finally {
    fs.closeSync(outFd);
    fs.closeSync(errFd);
  }
  const sampler = new TreeSampler(child.pid, sampleMs);
  const toolPid = () => [...sampler.procs.entries()].find(([, p]) => p.depth === 1)?.[0];
  let stoppedEarly = false;
  let timedOut = false;
  const kill = (signal) => {
    const pid = toolPid();
    try {
      if (pid) process.kill(pid, signal);
      else child.kill(signal);
    } catch {
      // gone
    }
  };
  const timers = [];
  const series = [];
  if (seriesOpts) {
    const every = setInterval(() => {
      const pid = toolPid();
      const st = pid ? readStatus(pid) : null;
      if (st)
        series.push({ seconds: round3((performance.now() - t0) / 1000), rssKiB: st.rssKiB, ...seriesOpts.probe() });
    }, seriesOpts.everyMs);
    timers.push(every);
  }
  if (stopAfterMs) {
    timers.push(
      setTimeout(() => {
        stoppedEarly = true;
        sampler.sample();
        kill('SIGTERM');
        timers.push(setTimeout(() => kill('SIGKILL'), 10_000));
      }, stopAfterMs),
    );
  }
  timers.push(
    setTimeout(() => {
      timedOut = true;
      kill('SIGTERM');
      timers.push(setTimeout(() => kill('SIGKILL'), 10_000));
    }, timeoutMs),
  );
  const { code, signal } = await new Promise((resolve) => {
    child.once('exit', (c, s) => resolve({ code: c, signal: s }));
    child.once('error', (err) => resolve({ code: null, signal: null, error: err }));
  });
  const wallSeconds = (performance.now() - t0) / 1000;
  for (const t of timers) clearTimeout(t);
  sampler.stop();
  const server1 = serverPid ? processCpuSeconds(serverPid) : null;
  // anything of the tree still alive after a stop (orphans) is ended by pid: only processes this run started
  const leftovers = sampler.alive();
  for (const pid of leftovers) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // gone
    }
  }

  let cpu = { user: null, sys: null, maxRssKiB: null };
  try {
    const text = fs.readFileSync(timeFile, 'utf8').trim();
    if (cpuMethod.kind === 'gnu-time') {
      const last = text.split('\n').pop().trim().split(/\s+/).map(Number);
      cpu = { user: last[1], sys: last[2], maxRssKiB: last[3] };
    } else {
      const f = text.slice(text.lastIndexOf(')') + 2).split(' ');
      cpu = { user: Number(f[13]) / CLK_TCK, sys: Number(f[14]) / CLK_TCK, maxRssKiB: null };
    }
  } catch {
    // the wrapper itself was killed: no rusage
  }
  const procs = [...sampler.procs.values()];
  const top = procs.filter((p) => p.depth === 1);
  const kids = procs.filter((p) => p.depth >= 2);
  const stderr = fs.readFileSync(`${logPrefix}.err`, 'utf8');
  // GNU time reports "Command exited with non-zero status N" in its -o file and exits with the tool's code
  return {
    exitCode: code,
    signal,
    ok: code === 0 && !stoppedEarly && !timedOut,
    stoppedEarly,
    timedOut,
    wallSeconds,
    userSeconds: cpu.user,
    sysSeconds: cpu.sys,
    cpuSeconds: cpu.user === null ? null : cpu.user + cpu.sys,
    treeMaxRssKiB: cpu.maxRssKiB,
    orchestratorPeakKiB: top.length ? Math.max(...top.map((p) => p.hwmKiB)) : null,
    childPeakKiB: kids.length ? Math.max(...kids.map((p) => p.hwmKiB)) : null,
    childProcesses: kids.length,
    samples: sampler.samples,
    serverCpuSeconds: server0 !== null && server1 !== null ? server1 - server0 : null,
    leftovers: leftovers.length,
    ...(seriesOpts ? { series } : {}),
    stdoutFile: `${logPrefix}.out`,
    stderrTail: stderr.trim().split('\n').slice(-6).join('\n'),
  };
}

/** Median wall milliseconds of `reps` runs of a command (no wrapper: a start-up time). */
export async function startupMs(cmd, args, { env = process.env, cwd } = {}) {
  const t0 = performance.now();
  const { code, stderr } = await new Promise((resolve) => {
    const c = spawn(cmd, args, { env, cwd, stdio: ['ignore', 'ignore', 'pipe'] });
    let err = '';
    c.stderr.on('data', (d) => (err += d));
    c.once('exit', (code) => resolve({ code, stderr: err }));
    c.once('error', (e) => resolve({ code: -1, stderr: e.message }));
  });
  return { ms: performance.now() - t0, ok: code === 0, stderr: stderr.trim().split('\n').slice(-3).join('\n') };
}

/** Busy and total jiffies of the whole machine, from the first line of /proc/stat. */
function machineJiffies() {
  const f = fs.readFileSync('/proc/stat', 'utf8').split('\n')[0].trim().split(/\s+/).slice(1).map(Number);
  const total = f.reduce((a, b) => a + b, 0);
  const idle = f[3] + (f[4] ?? 0); // idle + iowait
  return { busy: total - idle, total };
}

/**
 * Before a fixed-cost measurement: write back what earlier phases left dirty (`sync`: a batch's fsync would
 * otherwise wait behind the data set's pages) and wait until the machine has been at least `idle` idle over
 * two `windowMs` windows in a row, for at most `maxMs`. Returns what it found, for the results.
 */
export async function settle({ idle = 0.9, windowMs = 500, maxMs = 30_000 } = {}) {
  const t0 = performance.now();
  spawnSync('sync');
  const syncMs = performance.now() - t0;
  let quiet = 0;
  let last = 0;
  while (performance.now() - t0 < maxMs && quiet < 2) {
    const a = machineJiffies();
    await new Promise((r) => setTimeout(r, windowMs));
    const b = machineJiffies();
    last = b.total > a.total ? 1 - (b.busy - a.busy) / (b.total - a.total) : 1;
    quiet = last >= idle ? quiet + 1 : 0;
  }
  return {
    syncMs: Math.round(syncMs),
    waitedMs: Math.round(performance.now() - t0),
    idle: Math.round(last * 100) / 100,
    settled: quiet >= 2,
  };
}
