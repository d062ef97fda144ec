"""Gunicorn's settings for the production stack (read with ``--config gunicorn.conf.py``).

Each value can be changed from the environment; the README's "Deploy" section lists them.
"""

import os

bind = os.environ.get("GUNICORN_BIND", "0.0.0.0:8000")
workers = int(os.environ.get("GUNICORN_WORKERS", "3"))
# A worker silent this long is killed and its request answered 502. Gunicorn's default (30 s)
# killed the in-request xlsx export above about 200,000 cases (13 s per 100,000).
timeout = int(os.environ.get("GUNICORN_TIMEOUT", "300"))
# On a restart, requests in flight get this long to finish.
graceful_timeout = int(os.environ.get("GUNICORN_GRACEFUL_TIMEOUT", "30"))
keepalive = int(os.environ.get("GUNICORN_KEEPALIVE", "5"))
# X-Forwarded-Proto and the other scheme headers are believed only from these addresses: the
# reverse proxy's fixed address in docker-compose.yml (PROXY_IP). The app port is not published,
# so nothing else can reach gunicorn; Django's SECURE_PROXY_SSL_HEADER relies on that.
forwarded_allow_ips = os.environ.get("GUNICORN_FORWARDED_ALLOW_IPS", "127.0.0.1")
# The access log, on stdout, without the secrets some URLs carry.
accesslog = "-"
logger_class = "envopt.gunicorn_logging.RedactingLogger"
