'use strict';
const { test } = require('node:test');
const assert = require('node:assert/strict');
const { migrate, MIGRATIONS, LOCK_ID } = require('../scripts/migrate');

// A fake pg client that remembers applied migrations across runs.
function fakeClient(state = { applied: new Set(), log: [] }, failOn = null) {
  let pending = null;
  return {
    state,
    async query(sql, params) {
      const s = sql.replace(/\s+/g, ' ').trim();
      state.log.push(s.split(' ').slice(0, 3).join(' '));
      if (failOn && s.includes(failOn)) throw new Error('boom');
      if (s.startsWith('SELECT id FROM schema_migrations')) return { rows: [...state.applied].map((id) => ({ id })) };
      if (s.startsWith('INSERT INTO schema_migrations')) pending = params[0];
      if (s === 'COMMIT' && pending) { state.applied.add(pending); pending = null; }
      if (s === 'ROLLBACK') pending = null;
      return { rows: [] };
    },
  };
}

test('migrate: applies every migration once, in order, under an advisory lock', async () => {
  const c = fakeClient();
  const applied = await migrate(c, { log: () => {} });
  assert.deepEqual(applied, MIGRATIONS.map((m) => m.id));
  assert.equal(c.state.log[0], 'CREATE TABLE IF');
  assert.ok(c.state.log.includes('SELECT pg_advisory_lock($1)'));
  assert.equal(c.state.log[c.state.log.length - 1], 'SELECT pg_advisory_unlock($1)');
  assert.equal(typeof LOCK_ID, 'number');

  const again = await migrate(fakeClient(c.state), { log: () => {} });
  assert.deepEqual(again, [], 'second run is a no-op');
});

test('migrate: every statement is idempotent on its own (IF NOT EXISTS)', () => {
  for (const m of MIGRATIONS) assert.match(m.sql, /IF NOT EXISTS/i, m.id);
  assert.equal(new Set(MIGRATIONS.map((m) => m.id)).size, MIGRATIONS.length, 'ids are unique');
});

test('migrate: a failing migration rolls back, is not recorded, and unlocks', async () => {
  const c = fakeClient(undefined, 'ADD COLUMN');
  await assert.rejects(migrate(c, { log: () => {} }), /boom/);
  assert.deepEqual([...c.state.applied], ['0001_items']);
  assert.ok(c.state.log.includes('ROLLBACK'));
  assert.equal(c.state.log[c.state.log.length - 1], 'SELECT pg_advisory_unlock($1)');
});
