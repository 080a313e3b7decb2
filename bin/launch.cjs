#!/usr/bin/env node
// Start a command from the bundle (dist/bundle/mpe.cjs, built by `npm run build`) with V8's compiled code
// cached on disk: Node 22.1+ has it built in (module.enableCompileCache), Node 20 gets it from
// v8-compile-cache. Every batch is a new process, so this is paid once per batch.
//
//   node bin/launch.cjs COMMAND ARGS…   how extract-all starts its children
//   require('./launch.cjs').start(NAME) what the bin/ shims do
'use strict';
const nodeModule = require('node:module');

if (nodeModule.enableCompileCache) nodeModule.enableCompileCache();
else if (!process.env.DISABLE_V8_COMPILE_CACHE) {
  try {
    require('v8-compile-cache');
  } catch {
    // a cache is an optimisation: start without it
  }
}

const bundle = require('../dist/bundle/mpe.cjs');
exports.start = bundle.start;
if (require.main === module) bundle.startFromArgv();
