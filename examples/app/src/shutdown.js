'use strict';
// Graceful shutdown, started by SIGINT/SIGTERM or PM2's 'shutdown' message:
//
//   1. /readyz answers 503 from this moment (readiness → shutting_down);
//      every response from now on carries "Connection: close".
//   2. After SHUTDOWN_DELAY_MS (default 0) stop accepting connections
//      (server.close()); close idle keep-alive connections at once and
//      again every 100 ms as in-flight requests finish; disconnect this
//      process's Socket.IO clients (they reconnect through the LB).
//   3. When the last connection has ended, run the closers (pg pools,
//      Redis clients, storage client) and exit 0.
//   A shutdown that is not done after SHUTDOWN_TIMEOUT_MS exits 1 anyway.
//
// Keep PM2's kill_timeout above SHUTDOWN_TIMEOUT_MS, or PM2 SIGKILLs first.

const { withTimeout } = require('./readiness');

const SWEEP_MS = 100;
const CLOSER_TIMEOUT_MS = 3000;

// Wrap an HTTP request listener so responses written once shutdown has
// begun close their connection: a keep-alive client then opens its next
// request on a node (or worker) that is still serving.
function closeConnectionsWhenDraining(listener, readiness) {
  return function requestListener(req, res) {
    const writeHead = res.writeHead;
    res.writeHead = function patchedWriteHead(...args) {
      if (readiness.shuttingDown && !res.headersSent) res.setHeader('Connection', 'close');
      return writeHead.apply(this, args);
    };
    return listener(req, res);
  };
}

function createShutdown({
  server,
  readiness,
  io = null,
  closers = [],
  timeoutMs = 10000,
  delayMs = 0,
  exit = (code) => process.exit(code),
  log,
}) {
  let done = null;

  function shutdown(reason = 'shutdown') {
    if (done) return done;
    done = (async () => {
      const started = Date.now();
      log.info('shutdown begins', { reason, timeoutMs });
      readiness.beginShutdown();

      const hard = setTimeout(() => {
        log.error('shutdown timed out; exiting now', { timeoutMs });
        exit(1);
      }, timeoutMs);

      if (delayMs > 0) await new Promise((r) => setTimeout(r, delayMs));

      const closed = server.listening
        ? new Promise((resolve) => server.close(resolve))
        : Promise.resolve();
      const sweep = () => { if (typeof server.closeIdleConnections === 'function') server.closeIdleConnections(); };
      sweep();
      const sweeper = setInterval(sweep, SWEEP_MS);
      if (io) {
        try {
          // Only this process's clients (io.disconnectSockets would reach
          // every node through the Redis adapter), then the engine itself,
          // which ends pending long-polling requests.
          io.local.disconnectSockets(true);
          io.engine.close();
        } catch (err) {
          log.warn('closing Socket.IO failed', { err });
        }
      }
      await closed;
      clearInterval(sweeper);
      log.info('http server closed', { ms: Date.now() - started });

      for (const close of closers) {
        try {
          await withTimeout(close, CLOSER_TIMEOUT_MS);
        } catch (err) {
          log.warn('closing a dependency failed', { err });
        }
      }
      clearTimeout(hard);
      log.info('shutdown complete', { ms: Date.now() - started });
      exit(0);
    })();
    return done;
  }

  return shutdown;
}

module.exports = { createShutdown, closeConnectionsWhenDraining };
