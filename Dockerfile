# The production image: the one-shot migrate job, web (gunicorn), worker and beat all run from it.
FROM python:3.11-slim-bookworm

# The evidence volume (PRIVATE_MEDIA_ROOT) and the backups volume are mounted on directories this
# image creates and gives to the app's user: Docker fills an empty named volume with the image's
# directory, its owner included, so the non-root app can write them from the first start.
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 \
    VAR_DIR=/srv/envopt/var STATIC_ROOT=/srv/envopt/static \
    PRIVATE_MEDIA_ROOT=/srv/envopt/var/private BACKUP_DIR=/srv/envopt/backups
WORKDIR /srv/envopt

# pg_dump and pg_restore for `manage.py backup` / `restore` (the same major version as the
# postgres:15 service).
RUN apt-get update \
 && apt-get install -y --no-install-recommends postgresql-client-15 \
 && rm -rf /var/lib/apt/lists/*

# A fixed uid and gid, so a bind mount or a restored volume can be given to it (chown 10001:10001).
RUN groupadd --system --gid 10001 envopt \
 && useradd --system --uid 10001 --gid 10001 --home /srv/envopt --shell /usr/sbin/nologin envopt

COPY pyproject.toml requirements.lock README.md ./
COPY core ./core
COPY liaison ./liaison
COPY complaints ./complaints
COPY casework ./casework
COPY inspections ./inspections
COPY approvals ./approvals
COPY appraisal ./appraisal
COPY reports ./reports
COPY envopt ./envopt
RUN pip install --no-cache-dir -c requirements.lock .

COPY manage.py gunicorn.conf.py ./
COPY templates ./templates
COPY static ./static
COPY locale ./locale
# Translations and static files are built into the image (they need settings, but no database or
# secret), so the migrate job has only the database to do.
RUN SECRET_KEY=build-only ALLOWED_HOSTS=build.invalid ENVOPT_ENV=production \
    python manage.py compile_translations \
 && SECRET_KEY=build-only ALLOWED_HOSTS=build.invalid ENVOPT_ENV=production \
    python manage.py collectstatic --noinput \
 && mkdir -p /srv/envopt/var/private /srv/envopt/backups \
 && chown -R envopt:envopt /srv/envopt/var /srv/envopt/backups \
 && chmod 0750 /srv/envopt/var/private /srv/envopt/backups

USER envopt
VOLUME ["/srv/envopt/var/private", "/srv/envopt/backups"]
EXPOSE 8000
# Settings in gunicorn.conf.py (bind, workers, timeouts, the proxy it trusts, the access log's
# redacting logger class envopt.gunicorn_logging.RedactingLogger).
CMD ["gunicorn", "envopt.wsgi", "--config", "gunicorn.conf.py"]
