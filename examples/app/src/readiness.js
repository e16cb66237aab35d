'use strict';
// The readiness state machine behind GET /readyz.
//
//   starting ──listening()──► serving ──beginShutdown()──► shutting_down
//       └──────────────beginShutdown()──────────────────────────┘
//
// starting       503: not listening yet (READY_DELAY_MS, startup).
// serving        200 only if every dependency check answers "ok" within
//                the check timeout (and READY_NEVER is not set); else 503.
// shutting_down  503 at once, without running checks; never leaves it.

const STATES = Object.freeze({ STARTING: 'starting', SERVING: 'serving', SHUTTING_DOWN: 'shutting_down' });

function withTimeout(promiseFn, ms) {
  let timer;
  return Promise.race([
    new Promise((resolve) => resolve(promiseFn())),
    new Promise((_, reject) => {
      timer = setTimeout(() => reject(new Error(`no answer within ${ms} ms`)), ms);
    }),
  ]).finally(() => clearTimeout(timer));
}

class Readiness {
  // checks: { name: async () => {} } — resolve means healthy, throw means not.
  constructor({ checks = {}, timeoutMs = 2000, never = false } = {}) {
    this.checks = checks;
    this.timeoutMs = timeoutMs;
    this.never = never;
    this.state = STATES.STARTING;
    this.listeners = [];
  }

  onChange(fn) {
    this.listeners.push(fn);
  }

  _set(state) {
    if (this.state === state) return;
    const from = this.state;
    this.state = state;
    for (const fn of this.listeners) fn(state, from);
  }

  listening() {
    if (this.state === STATES.STARTING) this._set(STATES.SERVING);
  }

  beginShutdown() {
    this._set(STATES.SHUTTING_DOWN);
  }

  get shuttingDown() {
    return this.state === STATES.SHUTTING_DOWN;
  }

  async runChecks() {
    const names = Object.keys(this.checks);
    const results = await Promise.all(names.map(async (name) => {
      try {
        await withTimeout(this.checks[name], this.timeoutMs);
        return 'ok';
      } catch (err) {
        return `fail: ${(err && err.message) || String(err)}`;
      }
    }));
    const checks = {};
    names.forEach((n, i) => { checks[n] = results[i]; });
    return checks;
  }

  // Returns { ready, status, checks, reason? }; the HTTP status is
  // 200 when ready, else 503.
  async evaluate() {
    const state = this.state;
    if (state === STATES.STARTING) return { ready: false, status: state, checks: {}, reason: 'not listening yet' };
    if (state === STATES.SHUTTING_DOWN) return { ready: false, status: state, checks: {}, reason: 'shutting down' };
    const checks = await this.runChecks();
    // A shutdown may have begun while the checks ran.
    if (this.state !== STATES.SERVING) return { ready: false, status: this.state, checks, reason: 'shutting down' };
    const failed = Object.keys(checks).filter((n) => checks[n] !== 'ok');
    if (failed.length) return { ready: false, status: state, checks, reason: `not ready: ${failed.join(', ')}` };
    if (this.never) return { ready: false, status: state, checks, reason: 'READY_NEVER=1 (test hook)' };
    return { ready: true, status: state, checks };
  }
}

module.exports = { Readiness, STATES, withTimeout };
