# The production image: web (gunicorn), worker and beat all run from it.
FROM python:3.11-slim-bookworm

ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 \
    VAR_DIR=/srv/envopt/var STATIC_ROOT=/srv/envopt/static
WORKDIR /srv/envopt

RUN useradd --system --home /srv/envopt --shell /usr/sbin/nologin envopt

COPY pyproject.toml requirements.lock README.md ./
COPY core ./core
COPY envopt ./envopt
COPY complaints ./complaints
COPY casework ./casework
COPY liaison ./liaison
COPY reports ./reports
RUN pip install --no-cache-dir -c requirements.lock .

COPY manage.py ./
COPY templates ./templates
COPY static ./static
COPY locale ./locale
# collectstatic and compile_translations need settings, but no database or secret.
RUN SECRET_KEY=build-only ALLOWED_HOSTS=build.invalid ENVOPT_ENV=production \
    python manage.py compile_translations \
 && SECRET_KEY=build-only ALLOWED_HOSTS=build.invalid ENVOPT_ENV=production \
    python manage.py collectstatic --noinput \
 && mkdir -p /srv/envopt/var && chown -R envopt /srv/envopt/var

USER envopt
EXPOSE 8000
CMD ["gunicorn", "envopt.wsgi", "--bind", "0.0.0.0:8000", "--workers", "3", "--logger-class", "envopt.gunicorn_logging.RedactingLogger"]
