'use strict';
// PM2 ecosystem for the reference app: what the stack's app role writes for
// a user app, shown here for running the app by hand (`pm2 start
// ecosystem.config.js`). The numbers below are tied to the app's contract:
//   wait_ready + listen_timeout  the app sends 'ready' once listening; allow
//                                READY_DELAY_MS and start-up on top
//   kill_timeout                 above SHUTDOWN_TIMEOUT_MS (10 s), or PM2
//                                SIGKILLs a worker still draining
//   stop_exit_codes [78]         exit 78 = configuration error: do not
//                                restart in a loop, fix the env file
const path = require('path');

module.exports = {
  apps: [{
    name: 'webstack-app',
    script: 'server.js',
    cwd: __dirname,
    exec_mode: 'cluster',
    instances: process.env.APP_WORKERS || 'max',
    wait_ready: true,
    listen_timeout: 15000,
    kill_timeout: 12000,
    stop_exit_codes: [78],
    min_uptime: 5000,
    max_restarts: 10,
    exp_backoff_restart_delay: 200,
    merge_logs: true,
    env: {
      NODE_ENV: 'production',
      // The stack's layout: <app_root>/releases/<id>/ (this directory) and
      // <app_root>/shared/.env, written by Ansible, read by the app itself.
      APP_ENV_FILE: process.env.APP_ENV_FILE || path.resolve(__dirname, '..', '..', 'shared', '.env'),
    },
  }],
};
