"""A stand-in for OVH's SMS API for scripts/schemathesis: it answers the
three calls flexiapi makes (server time, the SMS services, a job) and
accepts every SMS, so that phone operations do not answer 503. It checks
no signature: tests/it/ovh_fake.rs does that. Usage: PORT."""

import json
import sys
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


class Ovh(BaseHTTPRequestHandler):
    def answer(self, body):
        data = json.dumps(body).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def do_GET(self):
        if self.path == "/1.0/auth/time":
            self.answer(int(time.time()))
        elif self.path == "/1.0/sms/":
            self.answer(["sms-fuzz-1"])
        else:
            self.send_error(404)

    def do_POST(self):
        self.rfile.read(int(self.headers.get("Content-Length", 0)))
        if self.path == "/1.0/sms/sms-fuzz-1/jobs":
            self.answer({"ids": [1], "invalidReceivers": [], "validReceivers": []})
        else:
            self.send_error(404)


ThreadingHTTPServer(("127.0.0.1", int(sys.argv[1])), Ovh).serve_forever()
