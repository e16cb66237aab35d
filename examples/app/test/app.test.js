'use strict';
// The HTTP API and Socket.IO against the real server with fake dependencies.
const { test, before, after } = require('node:test');
const assert = require('node:assert/strict');
const session = require('express-session');
const { io: ioClient } = require('socket.io-client');
const { start, request, stop, testConfig, fakeDeps } = require('./helpers');

let srv;
before(async () => { srv = await start({ config: testConfig({ UPLOAD_MAX_BYTES: '1024' }) }); });
after(() => stop(srv));

test('GET /healthz, /version, /readyz, /metrics', async () => {
  const h = await request(srv.port, { path: '/healthz' });
  assert.equal(h.status, 200);
  assert.deepEqual(Object.keys(h.json).sort(), ['database', 'node', 'ok', 'pid', 'release', 'status', 'uptime']);
  assert.equal(h.json.ok, true);
  assert.equal(h.json.status, 'ok');
  assert.equal(h.json.database, 'ok');
  assert.equal(h.json.node, 'test-node');
  assert.equal(h.json.release, 'r-test');
  assert.equal(h.json.pid, process.pid);
  assert.equal(h.headers['x-served-by'], `test-node/${process.pid}`);

  assert.deepEqual((await request(srv.port, { path: '/version' })).json, { release: 'r-test', node: 'test-node', pid: process.pid });

  const r = await request(srv.port, { path: '/readyz' });
  assert.equal(r.status, 200);
  assert.equal(r.json.ready, true);
  assert.deepEqual(r.json.checks, { database: 'ok', redis: 'ok', storage: 'ok' });
  assert.equal(r.headers['cache-control'], 'no-store');

  const m = await request(srv.port, { path: '/metrics' });
  assert.equal(m.status, 200);
  assert.match(m.headers['content-type'], /^text\/plain/);
  assert.match(m.body, /http_requests_total\{method="GET",route="\/readyz",status="200",node="test-node"/);
  assert.match(m.body, /^app_ready\{.*\} 1$/m);
  assert.match(m.body, /process_cpu_user_seconds_total/);
});

test('readyz 503 names the failing dependency; healthz stays 200', async (t) => {
  const deps = fakeDeps({ checks: { database: async () => { throw new Error('connect ECONNREFUSED'); }, redis: async () => {}, storage: async () => {} } });
  deps.db.check = async () => { throw new Error('connect ECONNREFUSED'); };
  const s = await start({ deps });
  t.after(() => stop(s));
  const r = await request(s.port, { path: '/readyz' });
  assert.equal(r.status, 503);
  assert.deepEqual(r.json.checks, { database: 'fail: connect ECONNREFUSED', redis: 'ok', storage: 'ok' });
  const h = await request(s.port, { path: '/healthz' });
  assert.equal(h.status, 200);
  assert.equal(h.json.database, 'fail: connect ECONNREFUSED');
});

test('READY_NEVER=1: readyz never 200 (rollback test hook)', async (t) => {
  const s = await start({ config: testConfig({ READY_NEVER: '1' }) });
  t.after(() => stop(s));
  const r = await request(s.port, { path: '/readyz' });
  assert.equal(r.status, 503);
  assert.match(r.json.reason, /READY_NEVER/);
  assert.equal((await request(s.port, { path: '/healthz' })).status, 200);
});

test('sessions: login, read back, valid on another node sharing the store, logout', async (t) => {
  assert.equal((await request(srv.port, { path: '/api/session' })).status, 401);
  assert.equal((await request(srv.port, { method: 'POST', path: '/api/session/login', body: { user: '' } })).status, 400);

  // Two "nodes" sharing one session store (Redis in production).
  const store = new session.MemoryStore();
  const a = await start({ config: testConfig({ NODE_NAME: 'app-a' }), deps: fakeDeps({ sessionStore: store }) });
  const b = await start({ config: testConfig({ NODE_NAME: 'app-b' }), deps: fakeDeps({ sessionStore: store }) });
  t.after(() => Promise.all([stop(a), stop(b)]));

  const login = await request(a.port, { method: 'POST', path: '/api/session/login', body: { user: 'alice' } });
  assert.equal(login.status, 200);
  assert.deepEqual(login.json, { user: 'alice', node: 'app-a' });
  const cookie = login.headers['set-cookie'][0].split(';')[0];
  assert.match(cookie, /^webstack\.sid=/);
  assert.match(login.headers['set-cookie'][0], /HttpOnly/);

  const onB = await request(b.port, { path: '/api/session', headers: { Cookie: cookie } });
  assert.equal(onB.status, 200);
  assert.equal(onB.json.user, 'alice');
  assert.equal(onB.json.node, 'app-b');
  assert.equal(onB.json.loginNode, 'app-a');

  assert.equal((await request(b.port, { method: 'POST', path: '/api/session/logout', headers: { Cookie: cookie } })).status, 200);
  assert.equal((await request(a.port, { path: '/api/session', headers: { Cookie: cookie } })).status, 401);
});

test('JWT: POST /api/token then GET /api/token/verify', async () => {
  const tok = await request(srv.port, { method: 'POST', path: '/api/token', body: { user: 'bob' } });
  assert.equal(tok.status, 200);
  const ok = await request(srv.port, { path: '/api/token/verify', headers: { Authorization: `Bearer ${tok.json.token}` } });
  assert.equal(ok.status, 200);
  assert.equal(ok.json.user, 'bob');
  assert.equal((await request(srv.port, { path: '/api/token/verify' })).status, 401);
  const bad = await request(srv.port, { path: '/api/token/verify', headers: { Authorization: `Bearer ${tok.json.token}x` } });
  assert.equal(bad.status, 401);
  assert.equal((await request(srv.port, { method: 'POST', path: '/api/token', body: { user: 'a b' } })).status, 400);
});

test('items: write to the primary, read from a replica (404 until replicated) or the primary', async () => {
  const created = await request(srv.port, { method: 'POST', path: '/api/items', body: { name: 'widget' } });
  assert.equal(created.status, 201);
  assert.equal(created.json.name, 'widget');
  assert.equal(typeof created.json.id, 'number');
  const { id } = created.json;

  srv.deps.db.replicaLag = true;
  const lagging = await request(srv.port, { path: `/api/items/${id}?source=replica` });
  assert.equal(lagging.status, 404);
  assert.equal(lagging.json.source, 'replica');
  const primary = await request(srv.port, { path: `/api/items/${id}?source=primary` });
  assert.equal(primary.status, 200);
  assert.equal(primary.json.source, 'primary');

  srv.deps.db.replicaLag = false;
  const replica = await request(srv.port, { path: `/api/items/${id}` });
  assert.equal(replica.status, 200);
  assert.deepEqual(replica.json, { id, name: 'widget', source: 'replica', server: 'replica-1:5432', node: 'test-node' });

  assert.equal((await request(srv.port, { path: '/api/items/abc' })).status, 400);
  assert.equal((await request(srv.port, { path: '/api/items/1?source=cache' })).status, 400);
  assert.equal((await request(srv.port, { method: 'POST', path: '/api/items', body: { name: 42 } })).status, 400);
  const broken = await request(srv.port, { method: 'POST', path: '/api/items', headers: { 'Content-Type': 'application/json' }, body: '{"name":' });
  assert.equal(broken.status, 400);
});

test('uploads: raw body stored and read back byte for byte; limits and bad keys', async () => {
  const bytes = Buffer.from([0, 1, 2, 3, 250, 251, 252, 253, 254, 255]);
  const up = await request(srv.port, {
    method: 'POST', path: '/api/uploads', body: bytes,
    headers: { 'Content-Type': 'application/octet-stream', 'X-Filename': 'photo.jpg' },
  });
  assert.equal(up.status, 201);
  assert.equal(up.json.size, bytes.length);
  assert.match(up.json.key, /-photo\.jpg$/);
  const back = await request(srv.port, { path: `/api/uploads/${up.json.key}` });
  assert.equal(back.status, 200);
  assert.equal(back.headers['content-type'], 'application/octet-stream');
  assert.deepEqual(back.buffer, bytes);

  const named = await request(srv.port, { method: 'POST', path: '/api/uploads?name=notes.txt', body: 'hello', headers: { 'Content-Type': 'text/plain' } });
  assert.equal(named.status, 201);
  assert.match(named.json.key, /-notes\.txt$/);
  assert.equal((await request(srv.port, { path: `/api/uploads/${named.json.key}` })).body, 'hello');

  assert.equal((await request(srv.port, { path: '/api/uploads/nope-missing.bin' })).status, 404);
  assert.equal((await request(srv.port, { path: '/api/uploads/..%2Fetc%2Fpasswd' })).status, 400);
  const big = await request(srv.port, { method: 'POST', path: '/api/uploads', body: Buffer.alloc(2048), headers: { 'Content-Type': 'application/octet-stream' } });
  assert.equal(big.status, 413);
});

test('cache: PUT then GET, JSON or text bodies, TTL, misses', async () => {
  assert.equal((await request(srv.port, { path: '/api/cache/k1' })).status, 404);
  const put = await request(srv.port, { method: 'PUT', path: '/api/cache/k1', body: { value: 'v1', ttl: 30 } });
  assert.equal(put.status, 200);
  assert.deepEqual(srv.deps.cache.map.get('k1'), { value: 'v1', ttl: 30 });
  assert.equal((await request(srv.port, { path: '/api/cache/k1' })).json.value, 'v1');

  await request(srv.port, { method: 'PUT', path: '/api/cache/obj', body: { value: { a: 1 } } });
  assert.deepEqual(srv.deps.cache.map.get('obj'), { value: '{"a":1}', ttl: 300 });
  await request(srv.port, { method: 'PUT', path: '/api/cache/txt', body: 'plain text', headers: { 'Content-Type': 'text/plain' } });
  assert.equal((await request(srv.port, { path: '/api/cache/txt' })).json.value, 'plain text');

  assert.equal((await request(srv.port, { method: 'PUT', path: '/api/cache/k2', body: { nope: 1 } })).status, 400);
  assert.equal((await request(srv.port, { method: 'PUT', path: '/api/cache/k2', body: { value: 1, ttl: -1 } })).status, 400);
  assert.equal((await request(srv.port, { path: '/api/cache/bad%20key' })).status, 400);
});

test('GET /api/slow waits; unknown routes are JSON 404s', async () => {
  const t0 = Date.now();
  const r = await request(srv.port, { path: '/api/slow?ms=150' });
  assert.ok(Date.now() - t0 >= 140);
  assert.equal(r.json.slept, 150);
  const nf = await request(srv.port, { path: '/nope' });
  assert.equal(nf.status, 404);
  assert.equal(nf.json.error, 'not found');
});

function connect(port, opts = {}) {
  const c = ioClient(`http://127.0.0.1:${port}`, { reconnection: false, forceNew: true, ...opts });
  return new Promise((resolve, reject) => {
    c.once('connect', () => resolve(c));
    c.once('connect_error', reject);
  });
}

test('socket.io: join a room, chat reaches the room only', async () => {
  const alice = await connect(srv.port, { transports: ['websocket'] });
  const bob = await connect(srv.port); // polling then upgrade
  const eve = await connect(srv.port, { transports: ['websocket'] });
  try {
    assert.equal((await alice.emitWithAck('join', 'lobby')).room, 'lobby');
    assert.equal((await bob.emitWithAck('join', { room: 'lobby' })).room, 'lobby');
    let eveGot = 0;
    eve.on('chat', () => { eveGot++; });
    const got = new Promise((r) => bob.once('chat', r));
    const ack = await alice.emitWithAck('chat', { room: 'lobby', msg: 'hi' });
    assert.equal(ack.ok, true);
    const m = await got;
    assert.equal(m.room, 'lobby');
    assert.equal(m.msg, 'hi');
    assert.equal(m.from, alice.id);
    assert.equal(m.node, 'test-node');
    await new Promise((r) => setTimeout(r, 50));
    assert.equal(eveGot, 0);
    assert.ok((await alice.emitWithAck('chat', { room: 'lobby' })).error);
  } finally {
    [alice, bob, eve].forEach((c) => c.close());
  }
});

test('socket.io: SOCKETIO_POLLING=0 refuses long-polling, accepts WebSocket', async (t) => {
  const s = await start({ config: testConfig({ SOCKETIO_POLLING: '0' }) });
  t.after(() => stop(s));
  await assert.rejects(connect(s.port, { transports: ['polling'] }));
  const c = await connect(s.port, { transports: ['websocket'] });
  c.close();
});
