"""Composition root. `wsgi:app` for gunicorn; `python wsgi.py` serves HTTP and websockets.

`python wsgi.py` also delivers the webhook outbox from a background thread of the same process
(set COMMUNITY_WEBHOOK_WORKER_IN_PROCESS=false to leave it to `flask --app wsgi crm worker`). Under
gunicorn nothing is started: run `flask --app wsgi crm worker` beside it (several may run).
"""
import os
import sys

from application import create_app
from community.extensions import socketio
from crm_bridge.sentiment import warm_up

app = create_app()
if "gunicorn" in sys.modules or __name__ == "__main__":  # served (not `flask --app wsgi <command>`):
    # the sentiment models and jieba (also the search analyzer's) load now, not in this worker's first post
    warm_up(app.config.get("SENTIMENT_MODEL_DIR"))

if __name__ == "__main__":
    from crm_bridge import sync
    from crm_bridge.webhooks import start_in_thread

    host = os.environ.get("HOST", "127.0.0.1")
    port = int(os.environ.get("PORT", "5000"))
    start_in_thread(app)
    sync.start_in_thread(app)  # the CRM sync with Tryton, only when TRYTON_URL is set
    socketio.run(app, host=host, port=port, allow_unsafe_werkzeug=True, use_reloader=False)
