#!/usr/bin/env python3
"""A real HTTPS server on 127.0.0.1 for the WinHTTP tests run under wine (the Windows build has
no OpenSSL to run one in the test itself). Serves POST with 204 and the request's
X-Latchwatch-Signature echoed back, until killed. Prints its port, then serves.
    tls_server.py CERT KEY"""
import http.server
import ssl
import sys


class Handler(http.server.BaseHTTPRequestHandler):
    def do_POST(self):
        length = int(self.headers.get("Content-Length", "0"))
        self.rfile.read(length)
        self.send_response(204)
        self.send_header("X-Seen-Signature", self.headers.get("X-Latchwatch-Signature", ""))
        self.end_headers()

    def log_message(self, *args):
        pass


class Server(http.server.ThreadingHTTPServer):
    def handle_error(self, request, client_address):
        pass  # a client that refuses our certificate closes mid-handshake: expected here


server = Server(("127.0.0.1", 0), Handler)
context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
context.load_cert_chain(sys.argv[1], sys.argv[2])
server.socket = context.wrap_socket(server.socket, server_side=True)
print(server.server_address[1], flush=True)
server.serve_forever()
