'use strict';
// Configuration comes only from the environment (process.env, plus the
// dotenv file at APP_ENV_FILE when set). loadConfig() checks everything at
// once and throws a ConfigError listing every problem; server.js turns that
// into exit code 78 (EX_CONFIG), which the PM2 ecosystem lists in
// stop_exit_codes so a misconfigured app stops instead of crash-looping.

const net = require('net');
const os = require('os');
const path = require('path');

const EX_CONFIG = 78;
const STORAGE_BACKENDS = ['s3', 'nfs', 'local'];
const MIN_SECRET_LENGTH = 16;

class ConfigError extends Error {
  constructor(problems) {
    super(`invalid configuration:\n  - ${problems.join('\n  - ')}`);
    this.problems = problems;
    this.exitCode = EX_CONFIG;
  }
}

function str(env, name) {
  const v = env[name];
  if (v === undefined) return undefined;
  const t = String(v).trim();
  return t === '' ? undefined : t;
}

function parseList(value) {
  if (value === undefined || value === null) return [];
  return String(value).split(',').map((s) => s.trim()).filter(Boolean);
}

// "host:port" or "[v6addr]:port"; port defaults to 26379 (Sentinel).
function parseHostPort(item, defaultPort = 26379) {
  let host;
  let port;
  const v6 = /^\[([^\]]+)\](?::(\d+))?$/.exec(item);
  if (v6) {
    host = v6[1];
    port = v6[2];
  } else {
    const parts = item.split(':');
    if (parts.length > 2) {
      // An unbracketed IPv6 address: only "addr:port", with the port, is
      // unambiguous enough to accept.
      const last = parts[parts.length - 1];
      host = parts.slice(0, -1).join(':');
      if (!/^\d+$/.test(last) || !net.isIPv6(host)) throw new Error(`${JSON.stringify(item)}: write IPv6 addresses as [addr]:port`);
      port = last;
    } else {
      [host, port] = parts;
    }
  }
  if (!host) throw new Error(`${JSON.stringify(item)}: missing host`);
  const n = port === undefined || port === '' ? defaultPort : Number(port);
  if (!Number.isInteger(n) || n < 1 || n > 65535) throw new Error(`${JSON.stringify(item)}: invalid port`);
  return { host, port: n };
}

// Express's "trust proxy": true/false, a hop count, or addresses/subnets
// (comma separated, or names like "loopback"). Unset = Express's default.
function parseTrustProxy(value) {
  if (value === undefined) return undefined;
  if (/^(true|yes)$/i.test(value)) return true;
  if (/^(false|no)$/i.test(value)) return false;
  if (/^\d+$/.test(value)) return Number(value);
  return parseList(value);
}

function loadConfig(env = process.env) {
  const problems = [];

  const int = (name, def, min, max) => {
    const v = str(env, name);
    if (v === undefined) return def;
    const n = Number(v);
    if (!/^-?\d+$/.test(v) || n < min || (max !== undefined && n > max)) {
      problems.push(`${name}=${JSON.stringify(v)} must be an integer${max !== undefined ? ` from ${min} to ${max}` : ` >= ${min}`}`);
      return def;
    }
    return n;
  };
  const required = (name, why) => {
    const v = str(env, name);
    if (v === undefined) problems.push(`${name} is required${why ? ` (${why})` : ''}`);
    return v;
  };
  const secret = (name) => {
    const v = required(name);
    if (v !== undefined && v.length < MIN_SECRET_LENGTH) {
      problems.push(`${name} is ${v.length} characters; it needs at least ${MIN_SECRET_LENGTH}`);
    }
    return v;
  };
  const pgUrl = (name, value) => {
    try {
      const u = new URL(value);
      if (!/^postgres(ql)?:$/.test(u.protocol)) throw new Error('scheme');
      if (!u.hostname) throw new Error('host');
    } catch (_) {
      problems.push(`${name} must be a postgres:// or postgresql:// URL with a host`);
    }
    return value;
  };

  const cfg = {
    port: int('PORT', 3000, 1, 65535),
    host: str(env, 'HOST') || '0.0.0.0',
    nodeName: str(env, 'NODE_NAME') || os.hostname(),
    // A release runs from <base>/releases/<id> (the cwd PM2 gives it through
    // the `current` link), so its directory name is its id.
    release: str(env, 'RELEASE_ID') || path.basename(process.cwd()),
    trustProxy: parseTrustProxy(str(env, 'TRUST_PROXY')),
    readyDelayMs: int('READY_DELAY_MS', 0, 0),
    readyNever: str(env, 'READY_NEVER') === '1',
    shutdownTimeoutMs: int('SHUTDOWN_TIMEOUT_MS', 10000, 1),
    shutdownDelayMs: int('SHUTDOWN_DELAY_MS', 0, 0),
    checkTimeoutMs: int('CHECK_TIMEOUT_MS', 2000, 1),
    uploadMaxBytes: int('UPLOAD_MAX_BYTES', 10 * 1024 * 1024, 1),
    socketioPolling: str(env, 'SOCKETIO_POLLING') !== '0',
  };

  const dbUrl = required('DATABASE_URL', 'the PostgreSQL primary');
  cfg.database = {
    url: dbUrl === undefined ? undefined : pgUrl('DATABASE_URL', dbUrl),
    replicaUrls: parseList(env.DATABASE_REPLICA_URLS).map((u) => pgUrl('DATABASE_REPLICA_URLS', u)),
    poolSize: int('DB_POOL_SIZE', 5, 1),
  };

  const sentinels = required('REDIS_SENTINELS', 'host:port,host:port');
  cfg.redis = {
    sentinels: [],
    masterName: required('REDIS_MASTER_NAME'),
    password: required('REDIS_PASSWORD'),
    username: str(env, 'REDIS_USERNAME'),
    sentinelPassword: str(env, 'REDIS_SENTINEL_PASSWORD'),
  };
  if (sentinels !== undefined) {
    for (const item of parseList(sentinels)) {
      try {
        cfg.redis.sentinels.push(parseHostPort(item));
      } catch (err) {
        problems.push(`REDIS_SENTINELS: ${err.message}`);
      }
    }
    if (cfg.redis.sentinels.length === 0 && !problems.some((p) => p.startsWith('REDIS_SENTINELS'))) {
      problems.push('REDIS_SENTINELS lists no host:port');
    }
  }

  cfg.sessionSecret = secret('SESSION_SECRET');
  cfg.jwtSecret = secret('JWT_SECRET');

  cfg.storage = { backend: undefined };
  const backend = required('STORAGE_BACKEND', STORAGE_BACKENDS.join(' | '));
  if (backend !== undefined && !STORAGE_BACKENDS.includes(backend)) {
    problems.push(`STORAGE_BACKEND=${JSON.stringify(backend)} must be one of ${STORAGE_BACKENDS.join(', ')}`);
  } else if (backend === 's3') {
    const endpoint = str(env, 'S3_ENDPOINT');
    if (endpoint !== undefined) {
      try {
        const u = new URL(endpoint);
        if (!/^https?:$/.test(u.protocol)) throw new Error('scheme');
      } catch (_) {
        problems.push('S3_ENDPOINT must be an http:// or https:// URL');
      }
    }
    cfg.storage = {
      backend,
      endpoint, // unset: the AWS default endpoint for the region
      bucket: required('S3_BUCKET', 'STORAGE_BACKEND=s3'),
      accessKeyId: required('S3_ACCESS_KEY', 'STORAGE_BACKEND=s3'),
      secretAccessKey: required('S3_SECRET_KEY', 'STORAGE_BACKEND=s3'),
      region: str(env, 'S3_REGION') || 'us-east-1',
      // Path-style (http://endpoint/bucket/key) unless S3_FORCE_PATH_STYLE
      // is false: SeaweedFS and MinIO need it; AWS prefers virtual hosts.
      forcePathStyle: !/^(false|0|no)$/i.test(str(env, 'S3_FORCE_PATH_STYLE') || 'true'),
    };
  } else if (backend !== undefined) {
    cfg.storage = { backend, dir: required('UPLOADS_DIR', `STORAGE_BACKEND=${backend}`) };
  }

  if (problems.length) throw new ConfigError(problems);
  return cfg;
}

// What may be logged: secrets and URL passwords removed.
function redact(cfg) {
  const hide = (u) => {
    try {
      const url = new URL(u);
      if (url.password) url.password = '***';
      return url.toString();
    } catch (_) {
      return '***';
    }
  };
  return {
    ...cfg,
    sessionSecret: '***',
    jwtSecret: '***',
    database: { ...cfg.database, url: hide(cfg.database.url), replicaUrls: cfg.database.replicaUrls.map(hide) },
    redis: { ...cfg.redis, password: '***', sentinelPassword: cfg.redis.sentinelPassword && '***' },
    storage: { ...cfg.storage, secretAccessKey: cfg.storage.secretAccessKey && '***' },
  };
}

module.exports = { loadConfig, redact, parseList, parseHostPort, parseTrustProxy, ConfigError, EX_CONFIG, MIN_SECRET_LENGTH };
