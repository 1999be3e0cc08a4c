# syntax=docker/dockerfile:1
#
# The loyalty service: one image for the API and the worker.
#
#   docker build -t loyalty .
#   docker run -e DATABASE_URL=... -e REDIS_URL=... -e LOYALTY_SECRET_KEY=... -e LOYALTY_BLOCKLIST_KEY=1:... -p 8000:8000 loyalty
#   docker run --no-healthcheck -e DATABASE_URL=... -e REDIS_URL=... -e LOYALTY_SECRET_KEY=... \
#       -e LOYALTY_BLOCKLIST_KEY=1:... \
#       loyalty loyalty worker
#
# The default command applies pending migrations, then serves the API on port 8000.
# docker-compose.yml next to this file runs the whole stack.

ARG PYTHON_IMAGE=python:3.11-slim

# ---- build: wheels of the package and of every dependency ------------------------------------
FROM ${PYTHON_IMAGE} AS build

ENV PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PIP_NO_CACHE_DIR=1

# Compilers for a dependency without a binary wheel for the build platform (on x86_64 every
# dependency has one; this stage is thrown away, so the runtime image stays slim either way).
RUN apt-get update \
    && apt-get install -y --no-install-recommends build-essential \
    && rm -rf /var/lib/apt/lists/*

WORKDIR /src
COPY pyproject.toml ./
COPY app ./app
COPY workers ./workers
# A regular (non-editable) wheel; app.migrations and py.typed are part of the package.
RUN pip wheel --wheel-dir /wheels .

# ---- runtime ------------------------------------------------------------------------------------
FROM ${PYTHON_IMAGE} AS runtime

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PIP_NO_CACHE_DIR=1 \
    LOYALTY_ENV=production \
    LOYALTY_DATA_DIR=/var/lib/loyalty

RUN groupadd --system --gid 10001 loyalty \
    && useradd --system --uid 10001 --gid loyalty --home-dir /var/lib/loyalty \
        --create-home --shell /usr/sbin/nologin loyalty

# Install from the wheels of the build stage only: nothing is fetched in this stage.
RUN --mount=type=bind,from=build,source=/wheels,target=/wheels \
    pip install --no-index --find-links=/wheels loyalty \
    && loyalty export-schema >/dev/null

USER loyalty:loyalty
WORKDIR /var/lib/loyalty
# The data directory: uploaded import files wait here for a worker, so the API and the
# worker containers must mount the same volume (docker-compose.yml does).
VOLUME ["/var/lib/loyalty"]

# 8000: the API; 9100: Prometheus metrics when LOYALTY_METRICS_PORT=9100 (API and worker).
EXPOSE 8000 9100

# Liveness of the API (the slim image has no curl). Run the worker with --no-healthcheck,
# or disable the check in compose: it serves no HTTP.
HEALTHCHECK --interval=30s --timeout=5s --start-period=30s --retries=3 \
    CMD ["python", "-c", "import sys, urllib.request; sys.exit(0 if urllib.request.urlopen('http://127.0.0.1:8000/health', timeout=4).status == 200 else 1)"]

CMD ["loyalty", "api", "--host", "0.0.0.0", "--port", "8000", "--migrate"]
