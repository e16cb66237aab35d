'use strict';
// PostgreSQL: writes go to the primary (DATABASE_URL), reads to the
// replicas (DATABASE_REPLICA_URLS) in round robin. With no replicas, or when
// every replica fails to answer, reads fall back to the primary. Each PM2
// worker has its own pools of DB_POOL_SIZE connections each, so one app node
// opens workers × pool size × (1 + replicas) connections at most; the
// stack's preflight checks that sum against max_connections.

const { Pool } = require('pg');

function label(url) {
  try {
    const u = new URL(url);
    return `${u.hostname}:${u.port || 5432}`;
  } catch (_) {
    return 'unknown';
  }
}

// Errors that mean "this server cannot answer", as opposed to a bad query:
// connection failures, and the SQLSTATE classes 08 (connection exception),
// 57P (operator intervention: shutdown, recovery conflict) and 53 (resources).
function isUnavailable(err) {
  if (!err) return false;
  if (['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'ENOTFOUND', 'EHOSTUNREACH', 'EAI_AGAIN', 'EPIPE'].includes(err.code)) return true;
  if (typeof err.code === 'string' && /^(08|57P|53)/.test(err.code)) return true;
  return /timeout|terminated|Connection terminated|not queryable/i.test(err.message || '');
}

function createDb(cfg, { PoolClass = Pool, onError = () => {}, retryAfterMs = 5000, now = Date.now } = {}) {
  const opts = (url, name) => ({
    connectionString: url,
    max: cfg.poolSize,
    connectionTimeoutMillis: 3000,
    idleTimeoutMillis: 30000,
    application_name: name,
  });
  const primary = { pool: new PoolClass(opts(cfg.url, 'webstack-app')), label: label(cfg.url) };
  const replicas = cfg.replicaUrls.map((url) => ({ pool: new PoolClass(opts(url, 'webstack-app-ro')), label: label(url) }));
  for (const p of [primary, ...replicas]) {
    // An idle client losing its server (failover, restart) emits 'error' on
    // the pool; without a listener that would crash the worker.
    p.pool.on('error', (err) => onError(err, p.label));
  }
  let next = 0;

  return {
    replicaCount: replicas.length,

    // Writes and read-your-writes reads.
    async query(text, params) {
      return primary.pool.query(text, params);
    },

    // Reads: the next replica in turn; on an unavailable replica try the
    // others, then the primary. A replica that failed is skipped for
    // retryAfterMs, so a dead one does not cost every other read a
    // connection attempt. Returns { rows, rowCount, source, server }.
    async read(text, params, { source = 'replica' } = {}) {
      if (source === 'replica' && replicas.length) {
        const start = next;
        next = (next + 1) % replicas.length;
        for (let i = 0; i < replicas.length; i++) {
          const r = replicas[(start + i) % replicas.length];
          if (r.downUntil && r.downUntil > now()) continue;
          try {
            const res = await r.pool.query(text, params);
            r.downUntil = 0;
            return { rows: res.rows, rowCount: res.rowCount, source: 'replica', server: r.label };
          } catch (err) {
            if (!isUnavailable(err)) throw err;
            r.downUntil = now() + retryAfterMs;
            onError(err, r.label);
          }
        }
      }
      const res = await primary.pool.query(text, params);
      return { rows: res.rows, rowCount: res.rowCount, source: 'primary', server: primary.label };
    },

    async check() {
      await primary.pool.query('SELECT 1');
    },

    async close() {
      await Promise.allSettled([primary, ...replicas].map((p) => p.pool.end()));
    },
  };
}

module.exports = { createDb, isUnavailable, label };
