'use strict';
const { test } = require('node:test');
const assert = require('node:assert/strict');
const { EventEmitter } = require('events');
const { createDb, isUnavailable } = require('../src/db');

// A stand-in for pg.Pool: answers with its own host name, or fails when down.
function fakePoolClass(down = new Set()) {
  const pools = [];
  class FakePool extends EventEmitter {
    constructor(opts) {
      super();
      this.opts = opts;
      this.host = new URL(opts.connectionString).hostname;
      this.ended = false;
      pools.push(this);
    }
    async query(sql) {
      if (down.has(this.host)) throw Object.assign(new Error(`connect ECONNREFUSED ${this.host}`), { code: 'ECONNREFUSED' });
      if (sql === 'BAD') throw Object.assign(new Error('syntax error'), { code: '42601' });
      return { rows: [{ host: this.host }], rowCount: 1 };
    }
    async end() { this.ended = true; }
  }
  return { FakePool, pools };
}

const cfg = (replicas) => ({ url: 'postgres://app:pw@primary:5432/app', replicaUrls: replicas.map((h) => `postgres://app:pw@${h}:5432/app`), poolSize: 7 });

test('db: writes go to the primary; reads round-robin over the replicas', async () => {
  const { FakePool, pools } = fakePoolClass();
  const db = createDb(cfg(['r1', 'r2']), { PoolClass: FakePool });
  assert.equal(pools.length, 3);
  assert.ok(pools.every((p) => p.opts.max === 7), 'DB_POOL_SIZE per pool');
  assert.equal((await db.query('INSERT')).rows[0].host, 'primary');
  const seen = [];
  for (let i = 0; i < 4; i++) {
    const r = await db.read('SELECT');
    assert.equal(r.source, 'replica');
    seen.push(r.server);
  }
  assert.deepEqual(seen, ['r1:5432', 'r2:5432', 'r1:5432', 'r2:5432']);
  const p = await db.read('SELECT', [], { source: 'primary' });
  assert.deepEqual([p.source, p.server], ['primary', 'primary:5432']);
  await db.close();
  assert.ok(pools.every((x) => x.ended));
});

test('db: no replicas → reads from the primary', async () => {
  const { FakePool } = fakePoolClass();
  const db = createDb(cfg([]), { PoolClass: FakePool });
  const r = await db.read('SELECT');
  assert.deepEqual([r.source, r.server, r.rows[0].host], ['primary', 'primary:5432', 'primary']);
});

test('db: an unavailable replica is skipped, then retried later; all down → the primary', async () => {
  const down = new Set(['r1']);
  const errors = [];
  let clock = 1000;
  const { FakePool } = fakePoolClass(down);
  const db = createDb(cfg(['r1', 'r2']), { PoolClass: FakePool, onError: (e, where) => errors.push(where), retryAfterMs: 5000, now: () => clock });
  assert.equal((await db.read('SELECT')).server, 'r2:5432');
  assert.equal((await db.read('SELECT')).server, 'r2:5432');
  assert.equal((await db.read('SELECT')).server, 'r2:5432');
  assert.deepEqual(errors, ['r1:5432'], 'r1 is not tried again within retryAfterMs');
  down.delete('r1');
  clock += 5001;
  const seen = [(await db.read('SELECT')).server, (await db.read('SELECT')).server].sort();
  assert.deepEqual(seen, ['r1:5432', 'r2:5432'], 'r1 is back in the rotation');
  down.add('r1');
  down.add('r2');
  const r = await db.read('SELECT');
  assert.equal(r.source, 'primary');
  assert.ok(errors.includes('r2:5432'));
});

test('db: a bad query is an error, not a reason to fall back', async () => {
  const { FakePool } = fakePoolClass();
  const db = createDb(cfg(['r1']), { PoolClass: FakePool });
  await assert.rejects(db.read('BAD'), /syntax error/);
});

test('db: pool errors (idle client lost in a failover) are reported, not thrown', () => {
  const { FakePool, pools } = fakePoolClass();
  const seen = [];
  createDb(cfg(['r1']), { PoolClass: FakePool, onError: (e, where) => seen.push(where) });
  pools[0].emit('error', new Error('terminating connection due to administrator command'));
  assert.deepEqual(seen, ['primary:5432']);
});

test('db: isUnavailable() tells server trouble from query errors', () => {
  assert.equal(isUnavailable({ code: 'ECONNREFUSED', message: '' }), true);
  assert.equal(isUnavailable({ code: '57P01', message: 'terminating connection' }), true);
  assert.equal(isUnavailable({ code: '08006', message: '' }), true);
  assert.equal(isUnavailable({ message: 'timeout exceeded when trying to connect' }), true);
  assert.equal(isUnavailable({ code: '42P01', message: 'relation "items" does not exist' }), false);
});
