#!/usr/bin/env node
// Re-render a results file's Markdown (and its derived fields: marginal CPU, targets) from its measurements,
// after a change to the report's presentation. Measurements are never changed.
//
//   node bench/render.js [bench/results/latest.json]     rewrites the .json's derived fields and the .md beside it

import fs from 'node:fs';
import { computeTargets, deriveMarginal, renderMarkdown } from './lib/report.js';

const file = process.argv[2] ?? new URL('./results/latest.json', import.meta.url).pathname;
const res = JSON.parse(fs.readFileSync(file, 'utf8'));
deriveMarginal(res.runs);
res.targets = computeTargets(res);
res.renderedAt = new Date().toISOString();
fs.writeFileSync(file, JSON.stringify(res, null, 2) + '\n');
const md = renderMarkdown(res);
fs.writeFileSync(file.replace(/\.json$/, '.md'), md);
process.stdout.write(md);
