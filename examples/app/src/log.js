'use strict';
// One JSON object per line on stdout (PM2 writes it to the node's log).

function createLogger(base = {}, stream = process.stdout) {
  const write = (level, msg, fields) => {
    const entry = { time: new Date().toISOString(), level, msg, ...base, ...fields };
    if (fields && fields.err instanceof Error) entry.err = fields.err.message;
    stream.write(`${JSON.stringify(entry)}\n`);
  };
  return {
    info: (msg, fields) => write('info', msg, fields),
    warn: (msg, fields) => write('warn', msg, fields),
    error: (msg, fields) => write('error', msg, fields),
  };
}

const silent = { info() {}, warn() {}, error() {} };

module.exports = { createLogger, silent };
