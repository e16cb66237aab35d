'use strict';
// Socket.IO. With the Redis adapter (pub/sub clients through Sentinel) a
// message emitted to a room reaches that room's members on every node and
// worker. Events:
//   "join"  room | {room}     → join the room; ack {room, node}
//   "leave" room | {room}     → leave it
//   "chat"  {room, msg}       → "chat" {room, msg, from, node, pid} to every
//                               member of the room, on every node; ack {ok}
//
// Long-polling needs every request of a session to reach the same process.
// PM2 cluster mode spreads connections over workers with no stickiness, so
// with more than one worker per node set SOCKETIO_POLLING=0 (WebSocket
// only: one upgraded connection stays on one worker).

const { Server } = require('socket.io');

const ROOM_RE = /^[A-Za-z0-9._:-]{1,100}$/;

function roomOf(arg) {
  const room = arg && typeof arg === 'object' ? arg.room : arg;
  return typeof room === 'string' && ROOM_RE.test(room) ? room : null;
}

function attachSocketIO(server, { config, adapter, metrics, log }) {
  const io = new Server(server, {
    transports: config.socketioPolling ? ['polling', 'websocket'] : ['websocket'],
    serveClient: false,
    ...(adapter ? { adapter } : {}),
  });
  const who = { node: config.nodeName, pid: process.pid };

  io.on('connection', (socket) => {
    metrics.socketClients.inc();
    socket.on('disconnect', () => metrics.socketClients.dec());

    socket.on('join', (arg, ack) => {
      const room = roomOf(arg);
      if (!room) return typeof ack === 'function' && ack({ error: 'invalid room' });
      socket.join(room);
      return typeof ack === 'function' && ack({ room, ...who });
    });

    socket.on('leave', (arg, ack) => {
      const room = roomOf(arg);
      if (room) socket.leave(room);
      if (typeof ack === 'function') ack({ room, ...who });
    });

    socket.on('chat', (arg, ack) => {
      const room = roomOf(arg);
      const msg = arg && arg.msg;
      if (!room || typeof msg !== 'string' || msg.length > 4000) {
        return typeof ack === 'function' && ack({ error: 'chat needs {room, msg}' });
      }
      io.to(room).emit('chat', { room, msg, from: socket.id, ...who });
      return typeof ack === 'function' && ack({ ok: true, ...who });
    });
  });

  io.engine.on('connection_error', (err) => log.warn('socket.io connection error', { code: err.code, err: err.message }));
  return io;
}

module.exports = { attachSocketIO };
