"""gunicorn settings for production: `gunicorn -c gunicorn.conf.py wsgi:app` (docs/production.md).

One worker process with many threads (gthread): Socket.IO keeps long-lived connections, each holding
a thread, and without REDIS_URL every visitor must reach the same process. For more processes (on this
host or others) set the same REDIS_URL on all of them and use sticky sessions at the proxy.

Environment: HOST, PORT (where to listen; the same defaults as `python wsgi.py`: 127.0.0.1 and 5000, so
mail links that follow HOST/PORT are right), WEB_CONCURRENCY (worker processes, 1), GUNICORN_THREADS
(threads per worker, 100), GUNICORN_TIMEOUT (seconds, 60), GUNICORN_ACCESS_LOG (unset: no gunicorn
access log, since the application writes one line per request itself, with the request id and the
client address seen through TRUSTED_PROXIES; "-" for stdout or a file name to have gunicorn's too).
"""
import os

_host = os.environ.get("HOST", "").strip() or "127.0.0.1"
if ":" in _host and not _host.startswith("["):
    _host = f"[{_host}]"  # an IPv6 address
bind = [f"{_host}:{os.environ.get('PORT', '').strip() or '5000'}"]

worker_class = "gthread"
workers = int(os.environ.get("WEB_CONCURRENCY", "1"))
threads = int(os.environ.get("GUNICORN_THREADS", "100"))
timeout = int(os.environ.get("GUNICORN_TIMEOUT", "60"))
graceful_timeout = 30
keepalive = 5
preload_app = False  # each worker builds its app: the mail sender and search writer threads are per process

# The application logs each request on one line (community.requests: request_id, method, path, status,
# duration_ms, client); gunicorn's own access log is off unless asked for, and then names the same id.
accesslog = os.environ.get("GUNICORN_ACCESS_LOG") or None
access_log_format = '%(h)s "%(r)s" %(s)s %(b)s %(M)sms request_id=%({x-request-id}o)s'
errorlog = "-"
loglevel = os.environ.get("GUNICORN_LOG_LEVEL", "info")
proc_name = "community-web"
