"""Socket.IO test clients bound to the test app, carrying a Flask test client's session cookie."""
from __future__ import annotations

import contextvars

import pytest

from community.extensions import socketio


class IsolatedSocket:
    """A Socket.IO test client whose handlers run in their own app context, as on a real server.

    Without this the handlers would reuse the test's app context, and with it Flask-Login's cached
    user and the test's database session (the same trap `IsolatedClient` avoids for HTTP).
    """

    def __init__(self, app, flask_client=None, **kwargs):
        self._sio = contextvars.Context().run(socketio.test_client, app, flask_test_client=flask_client, **kwargs)

    def emit(self, *args, **kwargs):
        return contextvars.Context().run(self._sio.emit, *args, **kwargs)

    def disconnect(self, *args, **kwargs):
        return contextvars.Context().run(self._sio.disconnect, *args, **kwargs)

    def get_received(self, *args, **kwargs):
        return self._sio.get_received(*args, **kwargs)

    def is_connected(self, *args, **kwargs):
        return self._sio.is_connected(*args, **kwargs)


@pytest.fixture
def sockets(app):
    """Open Socket.IO test clients: `sockets(flask_client=None)`; all are disconnected afterwards."""
    opened = []

    def connect(flask_client=None, **kwargs):
        sio = IsolatedSocket(app, flask_client, **kwargs)
        opened.append(sio)
        return sio

    yield connect
    for sio in opened:
        if sio.is_connected():
            sio.disconnect()


def events(sio, name: str) -> list:
    """Return the payloads of the `name` events this client received since the last call."""
    return [item["args"][0] for item in sio.get_received() if item["name"] == name]


def received(sio) -> dict:
    """Return {event name: [payloads]} of everything received since the last call."""
    out: dict = {}
    for item in sio.get_received():
        out.setdefault(item["name"], []).append(item["args"][0] if item["args"] else None)
    return out
