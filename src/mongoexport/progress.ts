import { createLogger, type Logger, type LogLevel } from '../log.js';
import { intOption } from '../options/values.js';
import { type Display, lineDisplay } from '../progress.js';
import type { Args } from './values.js';

/** mpe-export's two loggers: mongoexport's own lines, and the batches' (shown with -v). */
export interface Loggers {
  level: LogLevel;
  log: Logger;
  detail: Logger;
}

/** -v (at any level) and --quiet, as mongoexport takes them; every line with a timestamp, as mongoexport's. */
export function loggersOf(a: Args): Loggers {
  const verbosity = intOption('mpe-verbosity', a['mpe-verbosity'], 0) ?? 0;
  const level: LogLevel = a.quiet ? 'quiet' : verbosity > 0 ? 'verbose' : 'normal';
  const log = createLogger({ level, timestamps: true });
  const detail = createLogger({ level: verbosity > 0 && !a.quiet ? 'normal' : 'quiet', timestamps: true });
  return { level, log, detail };
}

/** How the batches' phases show for namespace `ns`: mongoexport's progress bar (none with --quiet). */
export const displayFor = ({ level, log, detail }: Loggers, ns: string): Display =>
  level === 'quiet' ? lineDisplay(detail) : barDisplay(log, detail, ns);

/**
 * mongoexport's progress line, once a second while batches run (`[########................]  db.coll
 * 32000/150000  (21.3%)`); the batches' own lines go to `detail` (shown with -v).
 */
function barDisplay(log: Logger, detail: Logger, ns: string): Display {
  const inner = lineDisplay(detail);
  const bar = (docs: number, max: number) => {
    if (max <= 0) return log.info(`${ns}  ${docs}`);
    const filled = Math.min(24, Math.round((docs / max) * 24));
    log.info(
      `[${'#'.repeat(filled)}${'.'.repeat(24 - filled)}]  ${ns}  ${docs}/${max}  (${((docs / max) * 100).toFixed(1)}%)`,
    );
  };
  return {
    ...inner,
    error: (l, f) => log.error(l, f),
    begin(phase, status, fields) {
      const activity = inner.begin(phase, status, fields);
      if (phase !== 'run') return activity;
      let last = performance.now();
      let docs = 0;
      let max = 0;
      let shown = false;
      return {
        update(s, f) {
          activity.update(s, f);
          docs = Number(f?.docs ?? docs);
          max = Number(f?.expectedDocs ?? max);
          if (performance.now() - last >= 1000) {
            last = performance.now();
            shown = true;
            bar(docs, max);
          }
        },
        end(line, f) {
          activity.end(line, f);
          if (shown && docs > 0) bar(docs, max);
        },
      };
    },
  };
}
