import json
import threading
from http.server import BaseHTTPRequestHandler, HTTPServer

import pytest

pytest_plugins = ["cstool.testing"]


@pytest.fixture
def cstool_plugins():
    import cstool_chat_webhook

    return {"chat_webhook": cstool_chat_webhook}


class Robot:
    """A chat robot on loopback: keeps what was posted, answers as it is told."""

    def __init__(self):
        self.posts: list[dict] = []
        self.answer = {"errcode": 0, "errmsg": "ok"}
        self.status = 200


@pytest.fixture
def robot():
    state = Robot()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self):
            length = int(self.headers["Content-Length"])
            state.posts.append(json.loads(self.rfile.read(length)))
            body = json.dumps(state.answer).encode()
            self.send_response(state.status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args):
            pass

    server = HTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    state.url = f"http://127.0.0.1:{server.server_port}/send?key=test"
    yield state
    server.shutdown()
    server.server_close()
