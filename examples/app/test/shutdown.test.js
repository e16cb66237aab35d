'use strict';
// Graceful shutdown against the real HTTP server (fake dependencies).
const { test } = require('node:test');
const assert = require('node:assert/strict');
const http = require('http');
const { io: ioClient } = require('socket.io-client');
const { start, request, stop, testConfig, fakeDeps } = require('./helpers');

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

test('shutdown: readyz turns 503, in-flight request completes, then pools close and exit 0', async (t) => {
  const order = [];
  const deps = fakeDeps({ closers: [async () => order.push('pg closed'), async () => order.push('redis closed')] });
  const srv = await start({ deps });
  t.after(() => stop(srv));

  assert.equal((await request(srv.port, { path: '/readyz' })).status, 200);

  // An idle keep-alive connection, and a request in flight on another one.
  const idleAgent = new http.Agent({ keepAlive: true, maxSockets: 1 });
  const idle = await request(srv.port, { path: '/version', agent: idleAgent });
  assert.equal(idle.status, 200);
  const idleClosed = new Promise((r) => idle.socket.once('close', r));

  const busyAgent = new http.Agent({ keepAlive: true, maxSockets: 1 });
  srv.server.on('request', (req, res) => {
    if (req.url.startsWith('/api/slow')) res.on('finish', () => order.push('slow answered'));
  });
  const slow = request(srv.port, { path: '/api/slow?ms=600', agent: busyAgent });
  await sleep(100);

  const t0 = Date.now();
  const done = srv.shutdown('test');
  assert.equal(srv.readiness.state, 'shutting_down');
  const ready = await srv.readiness.evaluate();
  assert.equal(ready.ready, false);
  assert.equal(ready.status, 'shutting_down');

  // The idle connection is closed at once, not after keepAliveTimeout (5 s).
  await idleClosed;
  assert.ok(Date.now() - t0 < 1000, 'idle keep-alive connection closed promptly');

  // New connections are refused: the listener is closed.
  await assert.rejects(request(srv.port, { path: '/healthz' }), /ECONNREFUSED/);

  const res = await slow;
  assert.equal(res.status, 200);
  assert.equal(res.json.slept, 600);
  assert.equal(res.headers.connection, 'close', 'in-flight response closes its connection');

  await done;
  assert.deepEqual(order, ['slow answered', 'pg closed', 'redis closed']);
  assert.deepEqual(srv.exits, [0]);
  assert.ok(Date.now() - t0 < 2000, `shutdown took ${Date.now() - t0} ms`);
  idleAgent.destroy();
  busyAgent.destroy();
});

test('shutdown: with SHUTDOWN_DELAY_MS, /readyz answers 503 over HTTP before the listener closes', async (t) => {
  const srv = await start({ config: testConfig({ SHUTDOWN_DELAY_MS: '400' }) });
  t.after(() => stop(srv));
  const done = srv.shutdown('SIGINT');
  const r = await request(srv.port, { path: '/readyz' });
  assert.equal(r.status, 503);
  assert.equal(r.json.ready, false);
  assert.equal(r.json.status, 'shutting_down');
  assert.equal(r.headers.connection, 'close');
  const h = await request(srv.port, { path: '/healthz' });
  assert.equal(h.status, 200, 'liveness stays 200 while draining');
  assert.equal(h.json.status, 'shutting_down');
  await done;
  assert.deepEqual(srv.exits, [0]);
  await assert.rejects(request(srv.port, { path: '/readyz' }), /ECONNREFUSED/);
});

test('shutdown: is idempotent (SIGINT then PM2 shutdown message)', async (t) => {
  const srv = await start();
  t.after(() => stop(srv));
  const a = srv.shutdown('SIGINT');
  const b = srv.shutdown('message');
  assert.equal(a, b);
  await a;
  assert.deepEqual(srv.exits, [0]);
});

test('shutdown: hard exit 1 after SHUTDOWN_TIMEOUT_MS when a request does not finish', async (t) => {
  const srv = await start({ config: testConfig({ SHUTDOWN_TIMEOUT_MS: '300' }) });
  t.after(() => stop(srv));
  const slow = request(srv.port, { path: '/api/slow?ms=3000' }).catch(() => {});
  await sleep(50);
  const t0 = Date.now();
  srv.shutdown('test');
  const code = await srv.exited;
  assert.equal(code, 1);
  const took = Date.now() - t0;
  assert.ok(took >= 280 && took < 1500, `hard exit after ${took} ms`);
  srv.server.closeAllConnections();
  await slow;
});

test('shutdown: Socket.IO clients are disconnected so the server can close', async (t) => {
  const srv = await start();
  t.after(() => stop(srv));
  const client = ioClient(`http://127.0.0.1:${srv.port}`, { transports: ['websocket'], reconnection: false });
  t.after(() => client.close());
  await new Promise((resolve, reject) => { client.on('connect', resolve); client.on('connect_error', reject); });
  const disconnected = new Promise((r) => client.on('disconnect', r));
  const t0 = Date.now();
  await srv.shutdown('test');
  await disconnected;
  assert.deepEqual(srv.exits, [0]);
  assert.ok(Date.now() - t0 < 2000);
});

test('startup: READY_DELAY_MS delays listening; PM2 is told "ready" only once listening', async (t) => {
  const sent = [];
  const { createServer } = require('../src/server');
  const config = testConfig({ READY_DELAY_MS: '300' });
  const srv = createServer({ config, deps: fakeDeps(), exit: () => {}, send: (m) => sent.push([m, srv.server.listening]) });
  t.after(() => stop(srv));
  const t0 = Date.now();
  const listening = srv.listen();
  await sleep(100);
  assert.equal(srv.server.listening, false);
  assert.equal(srv.readiness.state, 'starting');
  assert.deepEqual(sent, []);
  const addr = await listening;
  assert.ok(Date.now() - t0 >= 290);
  assert.deepEqual(sent, [['ready', true]]);
  assert.equal((await request(addr.port, { path: '/readyz' })).status, 200);
});

test('startup: a shutdown during READY_DELAY_MS never listens', async () => {
  const { createServer } = require('../src/server');
  const sent = [];
  const srv = createServer({ config: testConfig({ READY_DELAY_MS: '200' }), deps: fakeDeps(), exit: () => {}, send: (m) => sent.push(m) });
  const listening = srv.listen();
  await srv.shutdown('SIGINT');
  assert.equal(await listening, null);
  assert.equal(srv.server.listening, false);
  assert.deepEqual(sent, []);
});
