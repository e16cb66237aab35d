'use strict';
// Redis through Sentinel (ioredis): one client for sessions and the cache,
// and a pub/sub pair for the Socket.IO Redis adapter. ioredis asks the
// Sentinels for the current master, follows +switch-master (failover
// detector) and reconnects on READONLY (a demoted master), so a failover
// needs no restart of the app.

const Redis = require('ioredis');
const { RedisStore } = require('connect-redis');

const CACHE_PREFIX = 'cache:';
const SESSION_PREFIX = 'sess:';
const SESSION_TTL_S = 24 * 3600;

function redisOptions(cfg, connectionName) {
  return {
    sentinels: cfg.sentinels,
    name: cfg.masterName,
    role: 'master',
    password: cfg.password,
    username: cfg.username,
    sentinelPassword: cfg.sentinelPassword,
    connectionName,
    failoverDetector: true,
    enableAutoPipelining: false,
    connectTimeout: 5000,
    maxRetriesPerRequest: 3,
    // Keep reconnecting forever, at most every 2 s.
    retryStrategy: (times) => Math.min(100 * times, 2000),
    sentinelRetryStrategy: (times) => Math.min(100 * times, 2000),
    reconnectOnError: (err) => (/^READONLY/.test(err.message) ? 2 : false),
  };
}

function createRedis(cfg, { node = 'app', onError = () => {}, RedisClass = Redis } = {}) {
  const base = `webstack-app:${node}:${process.pid}`;
  const client = new RedisClass(redisOptions(cfg, base));
  const pub = new RedisClass(redisOptions(cfg, `${base}:pub`));
  const sub = new RedisClass(redisOptions(cfg, `${base}:sub`));
  for (const [name, c] of [['client', client], ['pub', pub], ['sub', sub]]) {
    // Without an 'error' listener ioredis logs "Unhandled error event".
    c.on('error', (err) => onError(err, name));
  }

  const cache = {
    async get(key) {
      return client.get(CACHE_PREFIX + key);
    },
    async set(key, value, ttlSeconds) {
      if (ttlSeconds) return client.set(CACHE_PREFIX + key, value, 'EX', ttlSeconds);
      return client.set(CACHE_PREFIX + key, value);
    },
  };

  return {
    client,
    pub,
    sub,
    cache,
    sessionStore: new RedisStore({ client, prefix: SESSION_PREFIX, ttl: SESSION_TTL_S }),
    async check() {
      // Do not queue a PING behind a dead connection: say why at once.
      if (client.status !== 'ready') throw new Error(`redis connection ${client.status}`);
      const pong = await client.ping();
      if (pong !== 'PONG') throw new Error(`unexpected PING reply ${pong}`);
    },
    async close() {
      // QUIT on a live connection; a client still looking for its master
      // would queue the QUIT forever, so it is just disconnected.
      await Promise.allSettled([client, pub, sub].map(async (c) => {
        if (c.status === 'ready') {
          let timer;
          await Promise.race([
            c.quit().catch(() => {}),
            new Promise((r) => { timer = setTimeout(r, 1000); }),
          ]);
          clearTimeout(timer);
        }
        c.disconnect();
      }));
    },
  };
}

module.exports = { createRedis, redisOptions, CACHE_PREFIX, SESSION_PREFIX };
