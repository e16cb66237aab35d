'use strict';
// Entry point (PM2 runs this file in cluster mode) and createServer(), the
// seam the tests use: it takes already-built dependencies and readiness
// checks, so a test can start the real HTTP server with fakes.

const http = require('http');
const { loadConfig, redact, ConfigError, EX_CONFIG } = require('./config');
const { loadFile, DotenvError } = require('./dotenv');
const { Readiness } = require('./readiness');
const { createShutdown, closeConnectionsWhenDraining } = require('./shutdown');
const { createMetrics } = require('./metrics');
const { createApp } = require('./app');
const { attachSocketIO } = require('./realtime');
const { createLogger, silent } = require('./log');

// deps: { db, cache, sessionStore, storage, adapter?, checks?, closers? }
//   checks   { name: async fn } overriding the default readiness checks
//            (database → db.check, redis → deps.redisCheck, storage →
//            storage.check)
//   closers  async fns run after the HTTP server has closed
function createServer({ config, deps, log = silent, exit = (code) => process.exit(code), send = process.send && process.send.bind(process) }) {
  const checks = deps.checks || {
    database: () => deps.db.check(),
    redis: () => deps.redisCheck(),
    storage: () => deps.storage.check(),
  };
  const readiness = new Readiness({ checks, timeoutMs: config.checkTimeoutMs, never: config.readyNever });
  const metrics = createMetrics({ node: config.nodeName, release: config.release });
  const app = createApp({ config, deps, readiness, metrics, log });
  const server = http.createServer(closeConnectionsWhenDraining(app, readiness));
  // keepAliveTimeout stays at Node's default (5 s). The LB's upstream
  // keepalive_timeout must be shorter, so nginx, not Node, closes idle
  // upstream connections and never reuses one Node is closing.
  const io = attachSocketIO(server, { config, adapter: deps.adapter, metrics, log });

  const shutdown = createShutdown({
    server,
    readiness,
    io,
    closers: deps.closers || [],
    timeoutMs: config.shutdownTimeoutMs,
    delayMs: config.shutdownDelayMs,
    exit,
    log,
  });

  // Resolves once listening; then tells PM2 (wait_ready) the worker is up.
  async function listen() {
    if (config.readyDelayMs > 0) {
      log.info('READY_DELAY_MS: waiting before listening', { ms: config.readyDelayMs });
      await new Promise((r) => setTimeout(r, config.readyDelayMs));
    }
    if (readiness.shuttingDown) return null;
    await new Promise((resolve, reject) => {
      server.once('error', reject);
      server.listen(config.port, config.host, () => {
        server.off('error', reject);
        resolve();
      });
    });
    readiness.listening();
    const addr = server.address();
    log.info('listening', { host: addr.address, port: addr.port, release: config.release });
    if (send) send('ready');
    return addr;
  }

  return { app, server, io, readiness, metrics, shutdown, listen };
}

// A dependency that is down reports the same error many times a second
// (reconnect loops): log each distinct message at most once per 10 s.
function throttled(log, msg, field, everyMs = 10000) {
  const last = new Map();
  return (err, where) => {
    const key = `${where} ${String(err && err.message).replace(/\d+/g, 'N')}`;
    const now = Date.now();
    if (now - (last.get(key) || 0) < everyMs) return;
    if (last.size > 100) last.clear();
    last.set(key, now);
    log.warn(msg, { [field]: where, err });
  };
}

// Real dependencies from the configuration. Nothing connects yet: pg, ioredis
// and the S3 client connect on first use, so the app listens (and /readyz
// says what is missing) even while a dependency is down.
function buildDeps(config, log) {
  const { createDb } = require('./db');
  const { createRedis } = require('./redis');
  const { createStorage } = require('./storage');
  const { createAdapter } = require('@socket.io/redis-adapter');

  const db = createDb(config.database, { onError: throttled(log, 'postgres error', 'server') });
  const redis = createRedis(config.redis, { node: config.nodeName, onError: throttled(log, 'redis error', 'client') });
  const storage = createStorage(config.storage);
  return {
    db,
    cache: redis.cache,
    sessionStore: redis.sessionStore,
    storage,
    adapter: createAdapter(redis.pub, redis.sub, { key: 'webstack-socket.io' }),
    redisCheck: () => redis.check(),
    closers: [() => db.close(), () => redis.close(), () => storage.close()],
  };
}

function readConfig(env = process.env) {
  if (env.APP_ENV_FILE) loadFile(env.APP_ENV_FILE, env);
  return loadConfig(env);
}

async function main() {
  let config;
  try {
    config = readConfig(process.env);
  } catch (err) {
    if (err instanceof ConfigError || err instanceof DotenvError) {
      process.stderr.write(`webstack-app: ${err.message}\nwebstack-app: exiting with ${EX_CONFIG} (configuration error; PM2 will not restart)\n`);
      process.exit(EX_CONFIG);
    }
    throw err;
  }
  const log = createLogger({ node: config.nodeName, pid: process.pid });
  log.info('starting', { config: redact(config) });

  const deps = buildDeps(config, log);
  const { shutdown, listen } = createServer({ config, deps, log });

  process.on('SIGINT', () => shutdown('SIGINT'));
  process.on('SIGTERM', () => shutdown('SIGTERM'));
  // PM2 sends 'shutdown' instead of a signal when shutdown_with_message is set.
  process.on('message', (msg) => { if (msg === 'shutdown') shutdown('message'); });

  try {
    await listen();
  } catch (err) {
    log.error('cannot listen', { err, port: config.port, host: config.host });
    process.exit(1);
  }
}

if (require.main === module) main();

module.exports = { createServer, buildDeps, readConfig, throttled, main };
