"""A stand-in app node for the nginx_lb scenario (Python standard library only).

GET /healthz -> ok; /version -> this host's name; /slow?ms=N -> waits N ms;
/headers -> the request headers as JSON; any other path -> the host's name.
POST -> the host's name and the body length. A WebSocket handshake
(Upgrade: websocket) gets 101 with the right Sec-WebSocket-Accept and the
connection is then closed.
"""
import base64
import hashlib
import json
import socket
import sys
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlparse

HOST = socket.gethostname()
WS_GUID = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keepalive towards nginx
    server_version = "webstack-test-backend"

    def _send(self, code, body, ctype="text/plain"):
        data = body.encode()
        self.send_response(code)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(data)))
        self.send_header("X-Backend", HOST)
        self.end_headers()
        self.wfile.write(data)

    def do_GET(self):
        url = urlparse(self.path)
        if self.headers.get("Upgrade", "").lower() == "websocket":
            key = self.headers.get("Sec-WebSocket-Key", "")
            accept = base64.b64encode(hashlib.sha1((key + WS_GUID).encode()).digest()).decode()
            self.send_response(101)
            self.send_header("Upgrade", "websocket")
            self.send_header("Connection", "Upgrade")
            self.send_header("Sec-WebSocket-Accept", accept)
            self.send_header("X-Backend", HOST)
            self.end_headers()
            self.close_connection = True
            return
        if url.path == "/healthz":
            return self._send(200, "ok\n")
        if url.path == "/slow":
            ms = int(parse_qs(url.query).get("ms", ["100"])[0])
            time.sleep(ms / 1000.0)
            return self._send(200, HOST + "\n")
        if url.path == "/headers":
            return self._send(200, json.dumps(dict(self.headers.items())), "application/json")
        return self._send(200, HOST + "\n")

    def do_POST(self):
        length = int(self.headers.get("Content-Length", "0"))
        self.rfile.read(length)
        return self._send(200, "%s %d\n" % (HOST, length))

    def log_message(self, fmt, *args):  # quiet
        pass


if __name__ == "__main__":
    port = int(sys.argv[1]) if len(sys.argv) > 1 else 3000
    ThreadingHTTPServer(("0.0.0.0", port), Handler).serve_forever()
