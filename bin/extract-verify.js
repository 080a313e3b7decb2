#!/usr/bin/env node
// Node 22+: cache compiled code on disk, so the many short-lived batch processes start faster (no-op on Node 20).
import module from 'node:module';
module.enableCompileCache?.();
await import('../dist/src/cli/extract-verify.js');
