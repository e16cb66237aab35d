'use strict';
// Test helpers: a valid configuration, in-memory fakes for the dependencies,
// and a small HTTP client that lets a test choose its connections.

const fs = require('fs');
const http = require('http');
const os = require('os');
const path = require('path');
const session = require('express-session');
const { loadConfig } = require('../src/config');
const { DirStorage } = require('../src/storage');
const { createServer } = require('../src/server');

const SECRET = 'test-secret-0123456789';

function baseEnv(extra = {}) {
  return {
    PORT: '3000',
    HOST: '127.0.0.1',
    NODE_NAME: 'test-node',
    RELEASE_ID: 'r-test',
    DATABASE_URL: 'postgres://app:pw@db-primary:5432/app',
    DATABASE_REPLICA_URLS: '',
    REDIS_SENTINELS: 's1:26379,s2:26379,s3:26379',
    REDIS_MASTER_NAME: 'webstack',
    REDIS_PASSWORD: 'redis-password',
    SESSION_SECRET: SECRET,
    JWT_SECRET: SECRET,
    STORAGE_BACKEND: 'local',
    UPLOADS_DIR: '/tmp',
    ...extra,
  };
}

// PORT=0 is refused by loadConfig (1-65535); tests listen on an ephemeral port.
function testConfig(extra = {}) {
  const cfg = loadConfig(baseEnv(extra));
  cfg.port = 0;
  return cfg;
}

function tmpDir() {
  return fs.mkdtempSync(path.join(os.tmpdir(), 'webstack-app-test-'));
}

// A fake PostgreSQL: items in a Map; `replicated` decides what a replica sees.
function fakeDb() {
  const items = new Map();
  let nextId = 1;
  const db = {
    items,
    replicaLag: false,
    replicaCount: 1,
    async query(sql, params) {
      if (/^INSERT INTO items/.test(sql)) {
        const row = { id: String(nextId++), name: params[0], node: params[1] };
        items.set(row.id, row);
        return { rows: [row], rowCount: 1 };
      }
      throw new Error(`fake db: unexpected query ${sql}`);
    },
    async read(sql, params, { source = 'replica' } = {}) {
      const row = items.get(String(params[0]));
      const onReplica = source === 'replica';
      const rows = row && !(onReplica && db.replicaLag) ? [row] : [];
      return { rows, rowCount: rows.length, source: onReplica ? 'replica' : 'primary', server: onReplica ? 'replica-1:5432' : 'primary:5432' };
    },
    async check() {},
  };
  return db;
}

function fakeCache() {
  const map = new Map();
  return {
    map,
    async get(k) { return map.has(k) ? map.get(k).value : null; },
    async set(k, value, ttl) { map.set(k, { value, ttl }); return 'OK'; },
  };
}

function fakeDeps(overrides = {}) {
  return {
    db: fakeDb(),
    cache: fakeCache(),
    sessionStore: new session.MemoryStore(),
    storage: new DirStorage(tmpDir(), 'local'),
    checks: { database: async () => {}, redis: async () => {}, storage: async () => {} },
    closers: [],
    ...overrides,
  };
}

// Start the real HTTP server on 127.0.0.1:<ephemeral>. exit() is recorded,
// never process.exit. Returns the createServer() result plus port, exits.
async function start({ config = testConfig(), deps = fakeDeps(), send = null } = {}) {
  const exits = [];
  let onExit = () => {};
  const exited = new Promise((r) => { onExit = r; });
  const srv = createServer({ config, deps, send, exit: (code) => { exits.push(code); onExit(code); } });
  const addr = await srv.listen();
  return { ...srv, deps, config, port: addr && addr.port, exits, exited };
}

// One HTTP request. opts: method, path, headers, body (string|Buffer|object
// → JSON), agent. Resolves { status, headers, body (string), json, buffer }.
function request(port, opts = {}) {
  const { method = 'GET', path: p = '/', headers = {}, agent = false } = opts;
  let body = opts.body;
  const h = { ...headers };
  if (body !== undefined && !Buffer.isBuffer(body) && typeof body !== 'string') {
    body = JSON.stringify(body);
    h['Content-Type'] = h['Content-Type'] || 'application/json';
  }
  return new Promise((resolve, reject) => {
    const req = http.request({ host: '127.0.0.1', port, method, path: p, headers: h, agent }, (res) => {
      const { socket } = res; // detached (null) once the response has ended
      const chunks = [];
      res.on('data', (c) => chunks.push(c));
      res.on('end', () => {
        const buffer = Buffer.concat(chunks);
        const text = buffer.toString('utf8');
        let json;
        try { json = JSON.parse(text); } catch (_) { json = undefined; }
        resolve({ status: res.statusCode, headers: res.headers, body: text, json, buffer, socket });
      });
    });
    req.on('error', reject);
    if (body !== undefined) req.write(body);
    req.end();
  });
}

// Stop a server a test left running (after a failed assertion, say).
async function stop(srv) {
  if (!srv) return;
  if (srv.server.listening) srv.server.closeAllConnections();
  // io.close() disconnects Socket.IO clients and closes the HTTP server.
  await new Promise((r) => srv.io.close(() => r()));
}

module.exports = { SECRET, baseEnv, testConfig, tmpDir, fakeDb, fakeCache, fakeDeps, start, request, stop };
