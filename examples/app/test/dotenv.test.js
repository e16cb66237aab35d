'use strict';
const { test } = require('node:test');
const assert = require('node:assert/strict');
const fs = require('fs');
const path = require('path');
const { parse, loadFile, DotenvError } = require('../src/dotenv');
const { tmpDir } = require('./helpers');

test('dotenv: plain, exported, quoted and commented lines', () => {
  const text = [
    '# written by the stack',
    '',
    'PORT=3000',
    'export NODE_NAME = app-1 ',
    'DATABASE_URL="postgres://u:p@h:5432/d?sslmode=disable"',
    "RAW='a $b \\n c'",
    'ESC="line1\\nline2 \\"q\\" \\\\"',
    'TRAIL=value # a note',
    'HASH=a#b',
    'EMPTY=',
    'QUOTED_NOTE="x y" # note',
  ].join('\n');
  assert.deepEqual(parse(text), {
    PORT: '3000',
    NODE_NAME: 'app-1',
    DATABASE_URL: 'postgres://u:p@h:5432/d?sslmode=disable',
    RAW: 'a $b \\n c',
    ESC: 'line1\nline2 "q" \\',
    TRAIL: 'value',
    HASH: 'a#b',
    EMPTY: '',
    QUOTED_NOTE: 'x y',
  });
});

test('dotenv: reads what the stack writes (scaleout.webstack.dotenv_quote)', () => {
  // Output of plugins/module_utils/app.py dotenv_quote() for these values.
  const text = String.raw`REDIS_PASSWORD="p\$ss\"w\\rd #1 'x'"
DATABASE_URL="postgres://app:s%40cret@10.0.0.5:5432/app"
MULTI="a\nb"
EMPTY=""
DOLLAR_END="abc\$"
`;
  assert.deepEqual(parse(text), {
    REDIS_PASSWORD: 'p$ss"w\\rd #1 \'x\'',
    DATABASE_URL: 'postgres://app:s%40cret@10.0.0.5:5432/app',
    MULTI: 'a\nb',
    EMPTY: '',
    DOLLAR_END: 'abc$',
  });
});

test('dotenv: CRLF line endings and a BOM', () => {
  assert.deepEqual(parse('\uFEFFA=1\r\nB=2\r\n'), { A: '1', B: '2' });
});

test('dotenv: a later line overrides an earlier one', () => {
  assert.deepEqual(parse('A=1\nA=2\n'), { A: '2' });
});

test('dotenv: malformed lines are errors that name the line', () => {
  assert.throws(() => parse('A=1\nnot a pair\n'), (e) => e instanceof DotenvError && /line 2/.test(e.message));
  assert.throws(() => parse('1BAD=x'), /invalid variable name/);
  assert.throws(() => parse('A="open'), /unterminated/);
  assert.throws(() => parse('A="x" y'), /after the closing quote/);
});

test('dotenv: loadFile fills only unset variables (the environment wins)', () => {
  const file = path.join(tmpDir(), '.env');
  fs.writeFileSync(file, 'A=from-file\nB=from-file\n');
  const env = { A: 'from-env' };
  const set = loadFile(file, env);
  assert.deepEqual(env, { A: 'from-env', B: 'from-file' });
  assert.deepEqual(set, ['B']);
});

test('dotenv: loadFile on a missing file says which file', () => {
  assert.throws(() => loadFile('/nonexistent/.env', {}), (e) => e instanceof DotenvError && /\/nonexistent\/\.env.*ENOENT/.test(e.message));
});
