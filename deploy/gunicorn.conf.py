"""Gunicorn settings for Touchpoint's web app (the production server; `make run` is the demo).

Run: gunicorn -c deploy/gunicorn.conf.py "web:create_app()"
Every value can be changed from the environment, so the systemd unit needs no edited copy.
"""
import os

# Behind a reverse proxy on the same host: listen on loopback only.
bind = os.environ.get("TOUCHPOINT_BIND", "127.0.0.1:8000")
# One process per core. Web processes never load the embedding model: checks are queued for the check
# workers (deploy/touchpoint-worker@.service).
workers = int(os.environ.get("TOUCHPOINT_WEB_WORKERS", os.cpu_count() or 2))
threads = int(os.environ.get("TOUCHPOINT_WEB_THREADS", "2"))
# An upload is read (a large docx or pdf takes seconds) inside its request; its check is queued.
timeout = int(os.environ.get("TOUCHPOINT_WEB_TIMEOUT", "180"))
graceful_timeout = 30
# Restart workers now and then so that a slow leak cannot grow without bound.
max_requests = 1000
max_requests_jitter = 100
accesslog = "-"
errorlog = "-"
# The proxy in front sets X-Forwarded-*; the app trusts them through TOUCHPOINT_PROXY_HOPS.
forwarded_allow_ips = os.environ.get("TOUCHPOINT_FORWARDED_ALLOW_IPS", "127.0.0.1")
