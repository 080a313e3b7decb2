import { setFlagsFromString } from 'node:v8';

/**
 * Keep this process's young generation at the size V8 starts it with (1 MiB semi-spaces): for an orchestrator,
 * which holds a few objects per batch and makes short-lived garbage per child (execa's machinery, reports, the
 * record re-read). Left alone, V8 grows the young generation to its maximum (16 MiB semi-spaces, 32 MiB resident)
 * over the first few hundred batches and keeps it, and the orchestrator's RSS crept on with every batch: with a
 * 10,000-batch plan on FerretDB, 240 s, ~120–129 MiB and still growing 2–4 MiB per 1,000 batches; with this,
 * ~98 MiB and flat (README, Performance). The flag is read whenever V8 resizes the young generation, so setting
 * it at run time takes effect (it holds the size the young generation has by then: 2 MiB on Node 20, 8 on Node 22,
 * which grows it while loading the bundle); a batch process (which decodes documents at full speed) does not set it.
 */
export function keepYoungGenerationSmall(): void {
  setFlagsFromString('--semi-space-growth-factor=1');
}
