'use strict';
// The Express app. Every dependency is passed in (createApp never opens a
// connection), so tests run it with fakes and server.js with the real
// PostgreSQL, Redis and storage clients.
//
// deps:
//   db           { query(sql, params), read(sql, params, {source}), check() }
//   cache        { get(key), set(key, value, ttlSeconds) }
//   sessionStore an express-session Store (connect-redis in production)
//   storage      { backend, put(key, buf), get(key), check() }

const express = require('express');
const session = require('express-session');
const { signToken, verifyToken, bearer } = require('./jwt');
const { makeKey, validKey } = require('./storage');
const { withTimeout } = require('./readiness');

const USER_RE = /^[A-Za-z0-9._@-]{1,64}$/;
const CACHE_KEY_RE = /^[A-Za-z0-9._:-]{1,200}$/;
const MAX_SLOW_MS = 60000;
const DEFAULT_CACHE_TTL_S = 300;

function httpError(status, message) {
  return Object.assign(new Error(message), { status, expose: true });
}

// Express 4 does not catch rejected promises from handlers.
const wrap = (fn) => (req, res, next) => Promise.resolve(fn(req, res, next)).catch(next);

function createApp({ config, deps, readiness, metrics, log }) {
  const { db, cache, storage } = deps;
  const who = { node: config.nodeName, release: config.release, pid: process.pid };
  const app = express();

  app.disable('x-powered-by');
  app.set('etag', false);
  if (config.trustProxy !== undefined) app.set('trust proxy', config.trustProxy);

  app.use(metrics.middleware);
  app.use((req, res, next) => {
    res.setHeader('X-Served-By', `${config.nodeName}/${process.pid}`);
    next();
  });

  // ---- probes -------------------------------------------------------------
  // Liveness: 200 while the process serves HTTP. "database" is informative
  // only; a database outage must not make the supervisor restart the app.
  app.get('/healthz', wrap(async (req, res) => {
    let database = 'ok';
    try {
      await withTimeout(() => db.check(), Math.min(config.checkTimeoutMs, 1000));
    } catch (err) {
      database = `fail: ${err.message}`;
    }
    res.json({
      ok: true,
      status: readiness.shuttingDown ? 'shutting_down' : 'ok',
      database,
      uptime: Math.round(process.uptime()),
      ...who,
    });
  }));

  // Readiness: 200 only when serving and every dependency answers.
  app.get('/readyz', wrap(async (req, res) => {
    const result = await readiness.evaluate();
    metrics.ready.set(result.ready ? 1 : 0);
    res.setHeader('Cache-Control', 'no-store');
    res.status(result.ready ? 200 : 503).json({ ...result, ...who });
  }));

  app.get('/version', (req, res) => res.json(who));

  app.get('/metrics', wrap(async (req, res) => {
    res.setHeader('Content-Type', metrics.registry.contentType);
    res.send(await metrics.registry.metrics());
  }));

  // ---- sessions (Redis) -----------------------------------------------------
  const sessions = session({
    name: 'webstack.sid',
    store: deps.sessionStore,
    secret: config.sessionSecret,
    resave: false,
    saveUninitialized: false,
    rolling: false,
    cookie: { httpOnly: true, sameSite: 'lax', secure: 'auto', maxAge: 24 * 3600 * 1000 },
  });
  const json = express.json({ limit: '100kb' });
  const userOf = (body) => {
    const user = body && body.user;
    if (typeof user !== 'string' || !USER_RE.test(user)) {
      throw httpError(400, 'body must be JSON {"user": "<1-64 of A-Z a-z 0-9 . _ @ ->"}');
    }
    return user;
  };

  app.post('/api/session/login', json, sessions, wrap(async (req, res) => {
    const user = userOf(req.body);
    await new Promise((resolve, reject) => req.session.regenerate((err) => (err ? reject(err) : resolve())));
    req.session.user = user;
    req.session.loginNode = config.nodeName;
    await new Promise((resolve, reject) => req.session.save((err) => (err ? reject(err) : resolve())));
    res.json({ user, node: config.nodeName });
  }));

  app.get('/api/session', sessions, (req, res) => {
    if (!req.session || !req.session.user) return res.status(401).json({ error: 'no session', node: config.nodeName });
    return res.json({ user: req.session.user, node: config.nodeName, loginNode: req.session.loginNode });
  });

  app.post('/api/session/logout', sessions, wrap(async (req, res) => {
    if (req.session) await new Promise((resolve, reject) => req.session.destroy((err) => (err ? reject(err) : resolve())));
    res.clearCookie('webstack.sid');
    res.json({ ok: true, node: config.nodeName });
  }));

  // ---- JWT ------------------------------------------------------------------
  app.post('/api/token', json, (req, res) => {
    const user = userOf(req.body);
    res.json({ token: signToken(user, config.jwtSecret), node: config.nodeName });
  });

  app.get('/api/token/verify', (req, res) => {
    const token = bearer(req);
    if (!token) return res.status(401).json({ error: 'missing Authorization: Bearer <token>' });
    try {
      return res.json({ user: verifyToken(token, config.jwtSecret), node: config.nodeName });
    } catch (err) {
      return res.status(401).json({ error: `invalid token: ${err.message}` });
    }
  });

  // ---- items (PostgreSQL primary / replicas) --------------------------------
  app.post('/api/items', json, wrap(async (req, res) => {
    const name = req.body && req.body.name;
    if (typeof name !== 'string' || name.length < 1 || name.length > 200) {
      throw httpError(400, 'body must be JSON {"name": "<1-200 characters>"}');
    }
    const { rows } = await db.query(
      'INSERT INTO items (name, node) VALUES ($1, $2) RETURNING id, name',
      [name, config.nodeName],
    );
    res.status(201).json({ id: Number(rows[0].id), name: rows[0].name, source: 'primary', node: config.nodeName });
  }));

  app.get('/api/items/:id', wrap(async (req, res) => {
    if (!/^\d{1,15}$/.test(req.params.id)) throw httpError(400, 'id must be a positive integer');
    const source = req.query.source === undefined ? 'replica' : String(req.query.source);
    if (source !== 'replica' && source !== 'primary') throw httpError(400, 'source must be replica or primary');
    const out = await db.read('SELECT id, name FROM items WHERE id = $1', [req.params.id], { source });
    const where = { source: out.source, server: out.server, node: config.nodeName };
    if (!out.rows.length) return res.status(404).json({ error: 'not found (not yet replicated?)', id: Number(req.params.id), ...where });
    return res.json({ id: Number(out.rows[0].id), name: out.rows[0].name, ...where });
  }));

  // ---- uploads (S3 or shared directory) -------------------------------------
  app.post('/api/uploads',
    express.raw({ type: () => true, limit: config.uploadMaxBytes }),
    wrap(async (req, res) => {
      const body = Buffer.isBuffer(req.body) ? req.body : Buffer.alloc(0);
      const key = makeKey(req.get('X-Filename') || req.query.name);
      const out = await storage.put(key, body);
      res.status(201).json({ key: out.key, size: out.size, backend: storage.backend, node: config.nodeName });
    }));

  app.get('/api/uploads/:key', wrap(async (req, res) => {
    if (!validKey(req.params.key)) throw httpError(400, 'invalid key');
    const buf = await storage.get(req.params.key);
    if (!buf) return res.status(404).json({ error: 'no such upload', key: req.params.key, node: config.nodeName });
    res.setHeader('Content-Type', 'application/octet-stream');
    return res.send(buf);
  }));

  // ---- cache (Redis) ----------------------------------------------------------
  const cacheKey = (req) => {
    if (!CACHE_KEY_RE.test(req.params.key)) throw httpError(400, 'key must be 1-200 of A-Z a-z 0-9 . _ : -');
    return req.params.key;
  };

  app.get('/api/cache/:key', wrap(async (req, res) => {
    const key = cacheKey(req);
    const value = await cache.get(key);
    if (value === null || value === undefined) return res.status(404).json({ error: 'miss', key, node: config.nodeName });
    return res.json({ key, value, node: config.nodeName });
  }));

  // Body: JSON {"value": ..., "ttl": seconds} (ttl defaults to 300, 0 = no
  // expiry) or any text, stored as is.
  app.put('/api/cache/:key', express.text({ type: 'text/*', limit: '100kb' }), json, wrap(async (req, res) => {
    const key = cacheKey(req);
    let value;
    let ttl = DEFAULT_CACHE_TTL_S;
    if (typeof req.body === 'string') {
      value = req.body;
    } else if (req.body && Object.prototype.hasOwnProperty.call(req.body, 'value')) {
      value = typeof req.body.value === 'string' ? req.body.value : JSON.stringify(req.body.value);
      if (req.body.ttl !== undefined) ttl = Number(req.body.ttl);
    } else {
      throw httpError(400, 'body must be JSON {"value": ..., "ttl": seconds} or text/plain');
    }
    if (!Number.isInteger(ttl) || ttl < 0) throw httpError(400, 'ttl must be a whole number of seconds');
    await cache.set(key, value, ttl);
    res.json({ key, value, ttl, node: config.nodeName });
  }));

  // ---- drain tests ------------------------------------------------------------
  app.get('/api/slow', wrap(async (req, res) => {
    const ms = Math.min(Math.max(Number.parseInt(req.query.ms, 10) || 0, 0), MAX_SLOW_MS);
    await new Promise((r) => setTimeout(r, ms));
    res.json({ slept: ms, ...who });
  }));

  // ---- errors -------------------------------------------------------------------
  app.use((req, res) => res.status(404).json({ error: 'not found', path: req.path }));

  // eslint-disable-next-line no-unused-vars
  app.use((err, req, res, next) => {
    const status = err.status || err.statusCode || 500;
    if (status >= 500) log.error('request failed', { method: req.method, path: req.path, err });
    if (res.headersSent) return res.destroy();
    const message = status < 500 || err.expose ? err.message : 'internal error';
    return res.status(status).json({ error: message, node: config.nodeName });
  });

  return app;
}

module.exports = { createApp };
