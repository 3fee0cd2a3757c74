"""A real HTTP receiver on 127.0.0.1 for webhook tests: records every request, answers as told."""
from __future__ import annotations

import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


class Receiver:
    """Serve in a thread; `answers` is a list of status codes used in turn (the last one repeats)."""

    def __init__(self, answers=(200,), delay: float = 0.0, headers: dict | None = None):
        self.answers = list(answers)
        self.delay = delay
        self.extra_headers = headers or {}
        self.requests: list[dict] = []
        self.lock = threading.Lock()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):  # noqa: N802
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                with receiver.lock:
                    receiver.requests.append({"headers": dict(self.headers), "body": body, "path": self.path})
                    status = receiver.answers[min(len(receiver.requests) - 1, len(receiver.answers) - 1)]
                if receiver.delay:
                    time.sleep(receiver.delay)
                reply = json.dumps({"ok": 200 <= status < 300}).encode()
                try:
                    self.send_response(status)
                    for key, value in receiver.extra_headers.items():
                        self.send_header(key, value)
                    self.send_header("Content-Type", "application/json")
                    self.send_header("Content-Length", str(len(reply)))
                    self.end_headers()
                    self.wfile.write(reply)
                except (BrokenPipeError, ConnectionResetError):
                    pass  # the worker was killed while we slept

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}/hook"

    def event_ids(self) -> list[str]:
        with self.lock:
            return [r["headers"].get("X-Community-Event-Id") for r in self.requests]

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.server.shutdown()
        self.server.server_close()
