'use strict';
const { test } = require('node:test');
const assert = require('node:assert/strict');
const { Readiness, STATES } = require('../src/readiness');

const ok = async () => {};
const fail = (msg) => async () => { throw new Error(msg); };
const hang = () => new Promise(() => {});

test('readiness: starting → serving → shutting_down', async () => {
  const r = new Readiness({ checks: { database: ok, redis: ok, storage: ok } });
  const seen = [];
  r.onChange((to, from) => seen.push(`${from}>${to}`));
  assert.equal(r.state, STATES.STARTING);
  assert.deepEqual(await r.evaluate(), { ready: false, status: 'starting', checks: {}, reason: 'not listening yet' });

  r.listening();
  assert.deepEqual(await r.evaluate(), { ready: true, status: 'serving', checks: { database: 'ok', redis: 'ok', storage: 'ok' } });

  r.beginShutdown();
  assert.equal(r.shuttingDown, true);
  const out = await r.evaluate();
  assert.equal(out.ready, false);
  assert.equal(out.status, 'shutting_down');

  r.listening(); // no way back
  assert.equal(r.state, STATES.SHUTTING_DOWN);
  assert.deepEqual(seen, ['starting>serving', 'serving>shutting_down']);
});

test('readiness: shutting down does not run the checks', async () => {
  let calls = 0;
  const r = new Readiness({ checks: { database: async () => { calls++; } } });
  r.listening();
  r.beginShutdown();
  await r.evaluate();
  assert.equal(calls, 0);
});

test('readiness: a shutdown that begins while checks run wins', async () => {
  let release;
  const r = new Readiness({ checks: { database: () => new Promise((res) => { release = res; }) } });
  r.listening();
  const pending = r.evaluate();
  r.beginShutdown();
  release();
  const out = await pending;
  assert.equal(out.ready, false);
  assert.equal(out.status, 'shutting_down');
});

test('readiness: a failing or hanging dependency makes it not ready, and says which', async () => {
  const r = new Readiness({ checks: { database: ok, redis: fail('redis connection reconnecting'), storage: hang }, timeoutMs: 50 });
  r.listening();
  const t0 = Date.now();
  const out = await r.evaluate();
  assert.ok(Date.now() - t0 < 1000, 'checks run in parallel and time out');
  assert.equal(out.ready, false);
  assert.deepEqual(out.checks, {
    database: 'ok',
    redis: 'fail: redis connection reconnecting',
    storage: 'fail: no answer within 50 ms',
  });
  assert.equal(out.reason, 'not ready: redis, storage');
});

test('readiness: recovers when the dependency comes back', async () => {
  let up = false;
  const r = new Readiness({ checks: { database: async () => { if (!up) throw new Error('down'); } } });
  r.listening();
  assert.equal((await r.evaluate()).ready, false);
  up = true;
  assert.equal((await r.evaluate()).ready, true);
});

test('readiness: READY_NEVER keeps it not ready even with healthy dependencies', async () => {
  const r = new Readiness({ checks: { database: ok }, never: true });
  r.listening();
  const out = await r.evaluate();
  assert.equal(out.ready, false);
  assert.deepEqual(out.checks, { database: 'ok' });
  assert.match(out.reason, /READY_NEVER/);
});
