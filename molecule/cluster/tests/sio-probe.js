// Runs on cl-client: two Socket.IO clients through the LB on different app
// nodes; one sends a chat message to a room, the other must receive it
// (the Redis adapter carries it across nodes). Prints one JSON line.
const { io } = require("/opt/sio/node_modules/socket.io-client");

const url = process.argv[2];
const opts = { transports: ["websocket"], rejectUnauthorized: false, reconnection: false, forceNew: true };

// Joining the room answers with the node the connection landed on.
function connect(room) {
  return new Promise((resolve, reject) => {
    const socket = io(url, opts);
    const timer = setTimeout(() => reject(new Error("no answer to join")), 10000);
    socket.on("connect", () => socket.emit("join", room, (ack) => { clearTimeout(timer); resolve({ socket, node: ack.node }); }));
    socket.on("connect_error", (err) => { clearTimeout(timer); reject(err); });
  });
}

async function main() {
  const room = `room-${Date.now()}`;
  const sender = await connect(room);
  let receiver;
  for (let i = 0; i < 30; i++) {
    const candidate = await connect(room);
    if (candidate.node !== sender.node) { receiver = candidate; break; }
    candidate.socket.close();
  }
  if (!receiver) throw new Error(`every connection landed on ${sender.node}`);
  const sent = `hello from ${sender.node}`;
  const received = await new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error("message never crossed nodes")), 10000);
    receiver.socket.on("chat", (m) => { clearTimeout(timer); resolve(m.msg); });
    sender.socket.emit("chat", { room, msg: sent });
  });
  console.log(JSON.stringify({ sender_node: sender.node, receiver_node: receiver.node, sent, received }));
  sender.socket.close(); receiver.socket.close();
}

main().catch((err) => { console.error(err.message); process.exit(1); });
