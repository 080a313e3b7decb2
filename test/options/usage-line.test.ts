// What yargs says, said our way: one line naming the option, a suggestion for a typo.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { suggestion, usageLine } from '../../src/options/usage-line.js';

const KNOWN = ['db', 'd', 'collection', 'c', 'out', 'o', 'query', 'q', 'concurrency', 'j', 'batch-size', 'resume'];

test('a mistyped option: did you mean …?', () => {
  assert.equal(
    usageLine('Unknown argument: colection', KNOWN),
    'unknown option --colection: did you mean --collection? (--help lists the options)',
  );
  assert.equal(suggestion('concurency', KNOWN), 'concurrency');
  assert.equal(suggestion('batchsize', KNOWN), 'batch-size');
  assert.equal(suggestion('resu', KNOWN), 'resume', 'a prefix');
  assert.equal(suggestion('zzzzzz', KNOWN), undefined, 'nothing close: no guess');
  assert.equal(usageLine('Unknown arguments: x, yy', KNOWN), 'unknown option -x, --yy (--help lists the options)');
});

test('a missing required option is named as missing', () => {
  assert.equal(usageLine('Missing required argument: out'), 'missing required option --out');
});

test('anything else: one line', () => {
  assert.equal(usageLine('Not enough\n  arguments'), 'Not enough; arguments');
});
