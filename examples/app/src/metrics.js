'use strict';
// Prometheus metrics, one registry per process: with PM2 cluster mode each
// scrape of /metrics is answered by whichever worker gets the connection,
// and the series carry node and pid labels to tell them apart.

const client = require('prom-client');

function createMetrics({ node, release }) {
  const registry = new client.Registry();
  registry.setDefaultLabels({ node, release, pid: String(process.pid) });
  client.collectDefaultMetrics({ register: registry });

  const requests = new client.Counter({
    name: 'http_requests_total',
    help: 'HTTP requests answered, by method, route and status',
    labelNames: ['method', 'route', 'status'],
    registers: [registry],
  });
  const duration = new client.Histogram({
    name: 'http_request_duration_seconds',
    help: 'HTTP request duration in seconds',
    labelNames: ['method', 'route'],
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    registers: [registry],
  });
  const inFlight = new client.Gauge({
    name: 'http_requests_in_flight',
    help: 'HTTP requests being served',
    registers: [registry],
  });
  const ready = new client.Gauge({
    name: 'app_ready',
    help: '1 when the last /readyz answer was ready, else 0',
    registers: [registry],
  });
  const socketClients = new client.Gauge({
    name: 'socketio_connected_clients',
    help: 'Socket.IO clients connected to this process',
    registers: [registry],
  });

  // Express middleware: route label from the matched route, never the raw
  // URL (unbounded label values).
  function middleware(req, res, next) {
    const end = duration.startTimer();
    inFlight.inc();
    res.on('close', () => {
      inFlight.dec();
      const route = req.route ? (req.baseUrl || '') + req.route.path : 'unmatched';
      requests.inc({ method: req.method, route, status: String(res.statusCode) });
      end({ method: req.method, route });
    });
    next();
  }

  return { registry, middleware, requests, duration, inFlight, ready, socketClients };
}

module.exports = { createMetrics };
