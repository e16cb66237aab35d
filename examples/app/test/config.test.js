'use strict';
const { test } = require('node:test');
const assert = require('node:assert/strict');
const { spawnSync } = require('child_process');
const fs = require('fs');
const path = require('path');
const { loadConfig, redact, parseHostPort, parseTrustProxy, ConfigError, EX_CONFIG } = require('../src/config');
const { baseEnv, tmpDir } = require('./helpers');

const problemsOf = (env) => {
  try {
    loadConfig(env);
  } catch (err) {
    assert.ok(err instanceof ConfigError);
    assert.equal(err.exitCode, 78);
    return err.problems;
  }
  return [];
};

test('config: defaults', () => {
  const cfg = loadConfig(baseEnv({ PORT: undefined, HOST: undefined }));
  assert.equal(cfg.port, 3000);
  assert.equal(cfg.host, '0.0.0.0');
  assert.equal(cfg.database.poolSize, 5);
  assert.deepEqual(cfg.database.replicaUrls, []);
  assert.equal(cfg.readyDelayMs, 0);
  assert.equal(cfg.readyNever, false);
  assert.equal(cfg.shutdownTimeoutMs, 10000);
  assert.equal(cfg.socketioPolling, true);
  assert.equal(cfg.trustProxy, undefined);
  assert.deepEqual(cfg.storage, { backend: 'local', dir: '/tmp' });
});

test('config: every variable is read', () => {
  const cfg = loadConfig(baseEnv({
    PORT: '8080', HOST: '::', NODE_NAME: 'app-2', RELEASE_ID: '20250101-abc',
    DATABASE_REPLICA_URLS: ' postgres://r1/app , ,postgresql://r2:6432/app ',
    DB_POOL_SIZE: '12', REDIS_SENTINELS: '10.0.0.1:26379,[fd00::2]:26380,sentinel-3',
    REDIS_USERNAME: 'app', REDIS_SENTINEL_PASSWORD: 'spw', TRUST_PROXY: '10.0.0.10, 10.0.0.11',
    READY_DELAY_MS: '1500', READY_NEVER: '1', SOCKETIO_POLLING: '0', SHUTDOWN_TIMEOUT_MS: '4000',
    STORAGE_BACKEND: 's3', S3_ENDPOINT: 'http://seaweed:8333', S3_BUCKET: 'uploads',
    S3_ACCESS_KEY: 'ak', S3_SECRET_KEY: 'sk',
  }));
  assert.equal(cfg.port, 8080);
  assert.equal(cfg.host, '::');
  assert.equal(cfg.nodeName, 'app-2');
  assert.equal(cfg.release, '20250101-abc');
  assert.deepEqual(cfg.database.replicaUrls, ['postgres://r1/app', 'postgresql://r2:6432/app']);
  assert.equal(cfg.database.poolSize, 12);
  assert.deepEqual(cfg.redis.sentinels, [
    { host: '10.0.0.1', port: 26379 }, { host: 'fd00::2', port: 26380 }, { host: 'sentinel-3', port: 26379 },
  ]);
  assert.equal(cfg.redis.username, 'app');
  assert.equal(cfg.redis.sentinelPassword, 'spw');
  assert.deepEqual(cfg.trustProxy, ['10.0.0.10', '10.0.0.11']);
  assert.equal(cfg.readyDelayMs, 1500);
  assert.equal(cfg.readyNever, true);
  assert.equal(cfg.socketioPolling, false);
  assert.equal(cfg.shutdownTimeoutMs, 4000);
  assert.deepEqual(cfg.storage, {
    backend: 's3', endpoint: 'http://seaweed:8333', bucket: 'uploads',
    accessKeyId: 'ak', secretAccessKey: 'sk', region: 'us-east-1', forcePathStyle: true,
  });
});

test('config: missing required settings are all reported at once', () => {
  const problems = problemsOf({});
  for (const name of ['DATABASE_URL', 'REDIS_SENTINELS', 'REDIS_MASTER_NAME', 'REDIS_PASSWORD', 'SESSION_SECRET', 'JWT_SECRET', 'STORAGE_BACKEND']) {
    assert.ok(problems.some((p) => p.startsWith(`${name} is required`)), `${name} missing from ${problems}`);
  }
  assert.equal(problems.length, 7);
});

test('config: backend-specific settings', () => {
  assert.deepEqual(problemsOf(baseEnv({ STORAGE_BACKEND: 'nfs', UPLOADS_DIR: '' })), ['UPLOADS_DIR is required (STORAGE_BACKEND=nfs)']);
  assert.deepEqual(problemsOf(baseEnv({ STORAGE_BACKEND: 's3' })), [
    'S3_BUCKET is required (STORAGE_BACKEND=s3)',
    'S3_ACCESS_KEY is required (STORAGE_BACKEND=s3)',
    'S3_SECRET_KEY is required (STORAGE_BACKEND=s3)',
  ]);
  assert.match(problemsOf(baseEnv({ STORAGE_BACKEND: 'gcs' }))[0], /must be one of s3, nfs, local/);
  const s3 = { STORAGE_BACKEND: 's3', S3_BUCKET: 'b', S3_ACCESS_KEY: 'a', S3_SECRET_KEY: 's' };
  assert.match(problemsOf(baseEnv({ ...s3, S3_ENDPOINT: 'seaweed:8333' }))[0], /S3_ENDPOINT/);
  assert.equal(loadConfig(baseEnv({ ...s3, S3_REGION: 'eu-west-1' })).storage.region, 'eu-west-1');
  assert.equal(loadConfig(baseEnv(s3)).storage.endpoint, undefined);
  assert.equal(loadConfig(baseEnv({ ...s3, S3_FORCE_PATH_STYLE: 'false' })).storage.forcePathStyle, false);
  assert.equal(loadConfig(baseEnv({ ...s3, S3_FORCE_PATH_STYLE: 'true' })).storage.forcePathStyle, true);
});

test('config: bad values are named', () => {
  const problems = problemsOf(baseEnv({
    PORT: '70000', DB_POOL_SIZE: '0', READY_DELAY_MS: 'soon', DATABASE_URL: 'mysql://h/d',
    DATABASE_REPLICA_URLS: 'not a url', REDIS_SENTINELS: 'h:notaport,fd00::1',
    SESSION_SECRET: 'short', JWT_SECRET: 'x'.repeat(15),
  }));
  const expect = [
    /^PORT="70000" must be an integer from 1 to 65535$/,
    /^DB_POOL_SIZE="0" must be an integer >= 1$/,
    /^READY_DELAY_MS="soon"/,
    /^DATABASE_URL must be a postgres/,
    /^DATABASE_REPLICA_URLS must be a postgres/,
    /^REDIS_SENTINELS: "h:notaport": invalid port$/,
    /^REDIS_SENTINELS: "fd00::1": write IPv6 addresses as \[addr\]:port$/,
    /^SESSION_SECRET is 5 characters; it needs at least 16$/,
    /^JWT_SECRET is 15 characters/,
  ];
  for (const re of expect) assert.ok(problems.some((p) => re.test(p)), `${re} not in ${JSON.stringify(problems)}`);
  assert.equal(problems.length, expect.length);
});

test('config: helpers', () => {
  assert.deepEqual(parseHostPort('redis-1'), { host: 'redis-1', port: 26379 });
  assert.deepEqual(parseHostPort('[::1]'), { host: '::1', port: 26379 });
  assert.deepEqual(parseHostPort('fd00::1:26380'), { host: 'fd00::1', port: 26380 });
  assert.throws(() => parseHostPort(':26379'), /missing host/);
  assert.equal(parseTrustProxy(undefined), undefined);
  assert.equal(parseTrustProxy('true'), true);
  assert.equal(parseTrustProxy('false'), false);
  assert.equal(parseTrustProxy('2'), 2);
  assert.deepEqual(parseTrustProxy('loopback'), ['loopback']);
});

test('config: redact() hides every secret', () => {
  const cfg = loadConfig(baseEnv({
    DATABASE_REPLICA_URLS: 'postgres://ro:ropw@r1/app', REDIS_SENTINEL_PASSWORD: 'spw',
    STORAGE_BACKEND: 's3', S3_BUCKET: 'b', S3_ACCESS_KEY: 'a', S3_SECRET_KEY: 'sk-value',
  }));
  const text = JSON.stringify(redact(cfg));
  for (const s of ['pw@', 'ropw', 'redis-password', 'spw', 'sk-value', 'test-secret']) assert.ok(!text.includes(s), `${s} leaked: ${text}`);
  assert.match(text, /postgres:\/\/app:\*\*\*@db-primary:5432\/app/);
});

test('config: the server exits 78 with a clear message; APP_ENV_FILE is read', () => {
  const server = path.join(__dirname, '..', 'server.js');
  const env = { PATH: process.env.PATH };
  const r = spawnSync(process.execPath, [server], { env, encoding: 'utf8', timeout: 10000 });
  assert.equal(r.status, EX_CONFIG);
  assert.match(r.stderr, /invalid configuration:\n {2}- DATABASE_URL is required/);
  assert.match(r.stderr, /exiting with 78/);

  // The env file supplies everything but a bad PORT given in the environment.
  const file = path.join(tmpDir(), '.env');
  const lines = Object.entries(baseEnv({ PORT: '3000' })).map(([k, v]) => `${k}=${v}`);
  fs.writeFileSync(file, `${lines.join('\n')}\n`);
  const r2 = spawnSync(process.execPath, [server], { env: { ...env, APP_ENV_FILE: file, PORT: 'abc' }, encoding: 'utf8', timeout: 10000 });
  assert.equal(r2.status, EX_CONFIG);
  assert.match(r2.stderr, /PORT="abc" must be an integer/);
  assert.doesNotMatch(r2.stderr, /is required/);

  const r3 = spawnSync(process.execPath, [server], { env: { ...env, APP_ENV_FILE: '/nonexistent.env' }, encoding: 'utf8', timeout: 10000 });
  assert.equal(r3.status, EX_CONFIG);
  assert.match(r3.stderr, /cannot read APP_ENV_FILE \/nonexistent.env/);
});
