#!/usr/bin/env node
'use strict';
// Database migrations: `npm run migrate`, run once per deploy (by the
// stack, on one app node, before the rolling restart) against DATABASE_URL,
// the primary. Idempotent: each migration runs once, recorded in
// schema_migrations, all under an advisory lock so two runs cannot race.
//
// Rolling deploys run the old and the new release side by side, so every
// migration must work with the release still running: add tables, nullable
// columns or columns with defaults, and indexes (CONCURRENTLY, in a
// migration of its own with transaction: false); never rename or drop
// something the old release uses in the same deploy — do that one release
// later ("expand, then contract").
//
// Exit codes: 0 done (or nothing to do), 1 a migration failed, 78 no or bad
// DATABASE_URL.

const path = require('path');

const LOCK_ID = 727274; // pg_advisory_lock key for this app's migrations

const MIGRATIONS = [
  {
    id: '0001_items',
    sql: `CREATE TABLE IF NOT EXISTS items (
            id         bigserial PRIMARY KEY,
            name       text NOT NULL,
            created_at timestamptz NOT NULL DEFAULT now()
          )`,
  },
  {
    id: '0002_items_node',
    // Nullable: the release still running inserts without it.
    sql: 'ALTER TABLE items ADD COLUMN IF NOT EXISTS node text',
  },
];

async function migrate(client, { migrations = MIGRATIONS, log = console.log } = {}) {
  await client.query(`CREATE TABLE IF NOT EXISTS schema_migrations (
    id         text PRIMARY KEY,
    applied_at timestamptz NOT NULL DEFAULT now()
  )`);
  await client.query('SELECT pg_advisory_lock($1)', [LOCK_ID]);
  const applied = [];
  try {
    const { rows } = await client.query('SELECT id FROM schema_migrations');
    const done = new Set(rows.map((r) => r.id));
    for (const m of migrations) {
      if (done.has(m.id)) continue;
      log(`migrate: applying ${m.id}`);
      if (m.transaction === false) {
        await client.query(m.sql);
        await client.query('INSERT INTO schema_migrations (id) VALUES ($1)', [m.id]);
      } else {
        await client.query('BEGIN');
        try {
          await client.query(m.sql);
          await client.query('INSERT INTO schema_migrations (id) VALUES ($1)', [m.id]);
          await client.query('COMMIT');
        } catch (err) {
          await client.query('ROLLBACK').catch(() => {});
          throw err;
        }
      }
      applied.push(m.id);
    }
  } finally {
    await client.query('SELECT pg_advisory_unlock($1)', [LOCK_ID]).catch(() => {});
  }
  log(applied.length ? `migrate: applied ${applied.join(', ')}` : 'migrate: schema is up to date');
  return applied;
}

async function main() {
  const { loadFile } = require(path.join(__dirname, '..', 'src', 'dotenv'));
  const { EX_CONFIG } = require(path.join(__dirname, '..', 'src', 'config'));
  try {
    if (process.env.APP_ENV_FILE) loadFile(process.env.APP_ENV_FILE, process.env);
  } catch (err) {
    console.error(`migrate: ${err.message}`);
    process.exit(EX_CONFIG);
  }
  const url = (process.env.DATABASE_URL || '').trim();
  if (!/^postgres(ql)?:\/\//.test(url)) {
    console.error('migrate: DATABASE_URL (postgres://…, the primary) is required');
    process.exit(EX_CONFIG);
  }
  const { Client } = require('pg');
  const client = new Client({ connectionString: url, application_name: 'webstack-app-migrate', connectionTimeoutMillis: 10000 });
  try {
    await client.connect();
    await migrate(client);
  } catch (err) {
    console.error(`migrate: failed: ${err.message}`);
    process.exitCode = 1;
  } finally {
    await client.end().catch(() => {});
  }
}

if (require.main === module) main();

module.exports = { migrate, MIGRATIONS, LOCK_ID };
