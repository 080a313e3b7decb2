#!/usr/bin/env node
// A one-node Slurm cluster for the tests: Debian's slurm-wlm 22.05 and munge, started by hand (apt starts no
// services here), every file under one temporary directory, on free loopback ports, stopped by pid.
//
//   node scripts/slurm.js install   apt-get install the packages (root; once)
//   node scripts/slurm.js check     say whether a cluster can start here, and if not, why
//
// startSlurm() returns { env, dir, stop() }: env holds SLURM_CONF for sbatch, squeue, scancel and scontrol.
// No accounting (no slurmdbd, so no sacct): a job's state comes from `scontrol show job`.

import { execFileSync, spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import fsp from 'node:fs/promises';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const PACKAGES = ['slurmctld', 'slurmd', 'slurm-client', 'munge'];
const BINARIES = ['munged', 'slurmctld', 'slurmd', 'sbatch', 'scontrol', 'squeue', 'scancel', 'sinfo', 'runuser'];

const which = (bin) =>
  ['/usr/sbin', '/usr/bin', '/sbin', '/bin', ...(process.env.PATH ?? '').split(':')]
    .map((d) => path.join(d, bin))
    .find((p) => fs.existsSync(p));

/** Why a cluster cannot start on this machine, or undefined when it can. */
export function slurmUnavailable() {
  if (process.platform !== 'linux') return `Slurm runs on Linux only (this is ${process.platform})`;
  if (process.getuid?.() !== 0) return 'starting slurmd needs root (it runs jobs as their users)';
  const missing = BINARIES.filter((b) => !which(b));
  if (missing.length) return `not installed: ${missing.join(', ')} (node scripts/slurm.js install)`;
  if (spawnSync('id', ['munge']).status !== 0) return 'no munge user (the munge package creates it)';
  return undefined;
}

function freePort() {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address();
      srv.close(() => resolve(port));
    });
  });
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

function daemon(argv, logFile, env) {
  const log = fs.openSync(logFile, 'a');
  const child = spawn(argv[0], argv.slice(1), { stdio: ['ignore', log, log], env, detached: true });
  fs.closeSync(log);
  child.unref();
  return child;
}

/**
 * Start munged, slurmctld and slurmd with a one-node slurm.conf (the node's CPUs as its slots): resolves once the
 * node is idle. Throws with the daemons' logs when it does not get there within `timeoutMs`.
 */
export async function startSlurm({ timeoutMs = 30_000 } = {}) {
  const why = slurmUnavailable();
  if (why) throw new Error(`cannot start Slurm: ${why}`);
  const dir = await fsp.mkdtemp(path.join(os.tmpdir(), 'mpe-slurm-'));
  // munged wants its socket's directories open to all, and its key readable by munge alone
  await fsp.chmod(dir, 0o755);
  const munge = path.join(dir, 'munge');
  await fsp.mkdir(munge, { mode: 0o755 });
  for (const d of ['state', 'spool', 'logs']) await fsp.mkdir(path.join(dir, d));
  const key = path.join(munge, 'munge.key');
  await fsp.writeFile(key, (await import('node:crypto')).randomBytes(1024), { mode: 0o400 });
  execFileSync('chown', ['-R', 'munge:munge', munge]);
  const socket = path.join(munge, 'munge.socket.2');

  const host = os.hostname().split('.')[0];
  const [ctldPort, dPort] = [await freePort(), await freePort()];
  const conf = path.join(dir, 'slurm.conf');
  const cpus = os.availableParallelism();
  // below what the machine has (slurmd refuses a node that has less than it is said to), enough for --mem=1G
  const memory = Math.floor((os.totalmem() / 2 ** 20) * 0.9);
  await fsp.writeFile(
    conf,
    `ClusterName=mpe
SlurmctldHost=${host}(127.0.0.1)
SlurmUser=root
SlurmdUser=root
SlurmctldPort=${ctldPort}
SlurmdPort=${dPort}
AuthType=auth/munge
AuthInfo=socket=${socket}
CredType=cred/munge
StateSaveLocation=${dir}/state
SlurmdSpoolDir=${dir}/spool
SlurmctldPidFile=${dir}/slurmctld.pid
SlurmdPidFile=${dir}/slurmd.pid
SlurmctldLogFile=${dir}/logs/slurmctld.log
SlurmdLogFile=${dir}/logs/slurmd.log
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
SelectType=select/cons_tres
SelectTypeParameters=CR_Core
SchedulerParameters=batch_sched_delay=0,sched_min_interval=0
AccountingStorageType=accounting_storage/none
JobAcctGatherType=jobacct_gather/none
JobCompType=jobcomp/none
MpiDefault=none
ReturnToService=2
KillWait=5
NodeName=${host} NodeAddr=127.0.0.1 CPUs=${cpus} RealMemory=${memory} State=UNKNOWN
PartitionName=debug Nodes=${host} Default=YES MaxTime=INFINITE State=UP
`,
  );
  const env = { ...process.env, SLURM_CONF: conf };
  const children = [];
  const stop = async () => {
    for (const c of children.reverse()) {
      try {
        process.kill(c.pid, 'SIGTERM');
      } catch {}
    }
    const until = Date.now() + 10_000;
    while (children.some((c) => alive(c.pid)) && Date.now() < until) await sleep(50);
    for (const c of children) {
      try {
        process.kill(c.pid, 'SIGKILL');
      } catch {}
    }
    await fsp.rm(dir, { recursive: true, force: true });
  };
  try {
    children.push(
      daemon(
        [
          'runuser',
          '-u',
          'munge',
          '--',
          which('munged'),
          '-F',
          `--key-file=${key}`,
          `--socket=${socket}`,
          `--log-file=${munge}/munged.log`,
          `--pid-file=${munge}/munged.pid`,
          `--seed-file=${munge}/munged.seed`,
        ],
        path.join(dir, 'logs', 'munged.out'),
        env,
      ),
    );
    await waitUntil(() => fs.existsSync(socket), timeoutMs, 'munged to open its socket', dir);
    children.push(daemon([which('slurmctld'), '-D', '-i', '-f', conf], path.join(dir, 'logs', 'slurmctld.out'), env));
    children.push(daemon([which('slurmd'), '-D', '-f', conf], path.join(dir, 'logs', 'slurmd.out'), env));
    await waitUntil(
      () => spawnSync('sinfo', ['-h', '-o', '%T'], { env, encoding: 'utf8' }).stdout?.trim() === 'idle',
      timeoutMs,
      'the node to be idle',
      dir,
    );
  } catch (err) {
    await stop();
    throw err;
  }
  return { dir, env, conf, stop };
}

function alive(pid) {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

async function waitUntil(ok, timeoutMs, what, dir) {
  const until = Date.now() + timeoutMs;
  while (!ok()) {
    if (Date.now() > until) {
      const logs = fs
        .readdirSync(path.join(dir, 'logs'))
        .map((f) => `--- ${f}\n${fs.readFileSync(path.join(dir, 'logs', f), 'utf8').slice(-1500)}`)
        .join('\n');
      throw new Error(`Slurm: timed out waiting for ${what}\n${logs}`);
    }
    await sleep(100);
  }
}

async function main() {
  const [cmd] = process.argv.slice(2);
  if (cmd === 'install') {
    if (!slurmUnavailable()) return 0;
    if (process.getuid?.() !== 0) {
      process.stderr.write('slurm: installing the packages needs root; the Slurm tests will be skipped\n');
      return 0;
    }
    const apt = (args) =>
      spawnSync('apt-get', args, { stdio: 'inherit', env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' } });
    if (apt(['install', '-y', '-qq', '--no-install-recommends', ...PACKAGES]).status !== 0) {
      // the package lists may be missing on a fresh machine
      if (
        apt(['update', '-qq']).status !== 0 ||
        apt(['install', '-y', '-qq', '--no-install-recommends', ...PACKAGES]).status !== 0
      ) {
        process.stderr.write('slurm: apt-get install failed\n');
        return 1;
      }
    }
    const why = slurmUnavailable();
    if (why) {
      process.stderr.write(`slurm: installed, yet ${why}\n`);
      return 1;
    }
    return 0;
  }
  if (cmd === 'check') {
    const why = slurmUnavailable();
    process.stdout.write(why ? `no: ${why}\n` : 'yes\n');
    return why ? 1 : 0;
  }
  process.stderr.write('usage: node scripts/slurm.js install|check\n');
  return 2;
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  main().then(
    (code) => process.exit(code),
    (err) => {
      process.stderr.write(`slurm: ${err.stack ?? err}\n`);
      process.exit(1);
    },
  );
}
