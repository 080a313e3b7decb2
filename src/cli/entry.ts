import { PLAN_TASK, runPlanTask } from '../db/plan-task.js';
import { main } from './main.js';

/** The driver's cursor classes, as bundled: the fault-injection tests (test/hardening) patch them in a child. */
export { AbstractCursor, FindCursor } from '../driver.js';

/**
 * The one entry point of every command. `npm run build` bundles it (with its dependencies) into
 * dist/bundle/mpe.cjs: one file to load instead of hundreds of modules (bin/launch.cjs starts it).
 */
export const COMMANDS = {
  'extract-batch': () => import('./extract-batch.js'),
  'extract-all': () => import('./extract-all.js'),
  'extract-plan': () => import('./extract-plan.js'),
  'extract-verify': () => import('./extract-verify.js'),
  'mpe-export': () => import('./mpe-export.js'),
} as const;

export type CommandName = keyof typeof COMMANDS;

export const isCommand = (name: unknown): name is CommandName =>
  typeof name === 'string' && Object.hasOwn(COMMANDS, name);

/** Run a command with process.argv as its arguments (after the script, or after the command name). */
export async function start(name: CommandName): Promise<void> {
  const command = await COMMANDS[name]();
  await main(command.NAME, command.run);
}

/**
 * `node bin/launch.cjs COMMAND ARGS…` (how extract-all starts its children): argv becomes
 * [node, script, ARGS…], as when the command is started through bin/.
 */
export async function startFromArgv(): Promise<void> {
  const name = process.argv[2];
  if (name === PLAN_TASK && process.send) return runPlanTask(); // extract-all's planning process
  if (!isCommand(name)) {
    process.stderr.write(`mpe: the first argument names the command: ${Object.keys(COMMANDS).join(', ')}\n`);
    process.exitCode = 2;
    return;
  }
  process.argv.splice(2, 1);
  await start(name);
}
