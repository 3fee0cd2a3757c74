"""Composition root. `wsgi:app` for gunicorn; `python wsgi.py` serves HTTP and websockets."""
import os

from application import create_app
from community.extensions import socketio

app = create_app()

if __name__ == "__main__":
    host = os.environ.get("HOST", "127.0.0.1")
    port = int(os.environ.get("PORT", "5000"))
    socketio.run(app, host=host, port=port, allow_unsafe_werkzeug=True, use_reloader=False)
