# syntax=docker/dockerfile:1
#
# CityPortal image: one image for every process (web, migrate, worker, beat); the default command
# runs the web server and the other processes override it (see docker-compose.yml).
#
#   docker build -t cityportal .
#   docker run --env-file .env -p 8000:8000 cityportal

# Both stages must use the same interpreter: the virtualenv built in the first one points at
# /usr/local/bin/python of the image it was built on.
ARG PYTHON_IMAGE=python:3.11-slim

# --- builder: resolve the locked dependencies into /opt/venv -------------------------------------

FROM ${PYTHON_IMAGE} AS builder

# Same uv as the Makefile, so the lock file is read exactly as it is on developer machines and CI.
RUN pip install --no-cache-dir --disable-pip-version-check uv==0.13.8

ENV UV_PROJECT_ENVIRONMENT=/opt/venv \
    UV_COMPILE_BYTECODE=1 \
    UV_LINK_MODE=copy \
    UV_PYTHON_DOWNLOADS=never \
    UV_PYTHON=/usr/local/bin/python3.11

WORKDIR /app

# Dependencies first, from the lock file alone: this layer is rebuilt only when the lock changes,
# not on every code edit.
COPY pyproject.toml uv.lock ./
RUN --mount=type=cache,target=/root/.cache/uv \
    uv sync --frozen --no-dev --no-install-project

COPY . .
# A no-op while the project is virtual (tool.uv.package = false); installs the project itself if
# that ever changes, without touching the dependency layer above.
RUN --mount=type=cache,target=/root/.cache/uv \
    uv sync --frozen --no-dev

# --- runtime -------------------------------------------------------------------------------------

FROM ${PYTHON_IMAGE} AS runtime

RUN groupadd --system --gid 10001 cityportal \
 && useradd --system --uid 10001 --gid cityportal --create-home --shell /usr/sbin/nologin cityportal

ENV PATH=/opt/venv/bin:$PATH \
    VIRTUAL_ENV=/opt/venv \
    DJANGO_SETTINGS_MODULE=cityportal.settings.production \
    PYTHONUNBUFFERED=1 \
    PYTHONDONTWRITEBYTECODE=1 \
    STATIC_ROOT=/app/staticfiles \
    MEDIA_ROOT=/app/var/media

WORKDIR /app

COPY --from=builder /opt/venv /opt/venv
# Code and collected static files stay owned by root: the app user can read them, not change them.
COPY --from=builder /app /app

# Production settings refuse to load without their secrets; these throwaway values
# exist only for this RUN and are not kept in the image. memory:// stops the settings from
# creating the filesystem-broker folders under var/ (that happens when no broker is configured).
# The app code is byte-compiled here because the app user cannot write __pycache__ at run time.
RUN SECRET_KEY=build-only ALLOWED_HOSTS=localhost CELERY_BROKER_URL=memory:// \
        FIELD_ENCRYPTION_KEYS=YnVpbGQtb25seS1rZXktbm90LWZvci1hbnktZGF0YSE= BLIND_INDEX_KEY=build-only \
        python manage.py collectstatic --noinput \
 && python -m compileall -q /app \
 && mkdir -p /app/var/media \
 && chown -R cityportal:cityportal /app/var

# Numeric, so an orchestrator enforcing runAsNonRoot can verify it without reading /etc/passwd.
USER 10001:10001

EXPOSE 8000

# Production ALLOWED_HOSTS normally lacks 127.0.0.1, and Django answers 400 to a Host it does not
# allow, so the probe presents the first allowed host instead (a leading "." or "*" is dropped).
HEALTHCHECK --interval=30s --timeout=5s --start-period=20s --retries=3 \
    CMD ["python", "-c", "import os, urllib.request as r; host = os.environ.get('ALLOWED_HOSTS', 'localhost').split(',')[0].strip().lstrip('*.') or 'localhost'; r.urlopen(r.Request('http://127.0.0.1:8000/healthz', headers={'Host': host}), timeout=4)"]

# exec: gunicorn replaces the shell as PID 1 and receives SIGTERM itself (graceful shutdown).
# No access log: the app writes one JSON line per request (cityportal.logging.AccessLogMiddleware).
# Worker heartbeat files go to /dev/shm (memory): on the container's disk-backed /tmp a heartbeat
# update can stall on I/O long enough for the master to kill a healthy worker as unresponsive.
CMD ["sh", "-c", "exec gunicorn cityportal.wsgi:application --bind 0.0.0.0:8000 --workers \"${WEB_CONCURRENCY:-4}\" --worker-tmp-dir /dev/shm --timeout 30 --graceful-timeout 30 --max-requests 20000 --max-requests-jitter 2000"]
