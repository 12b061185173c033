# One image recipe for every Python service of the workspace.
#
#   docker build -f deploy/images/service.Dockerfile --build-arg SERVICE=registration .
#
# Build args (the build context is the repository root):
#   SERVICE  registration | billing | notify | ops | infra   -> runs `python -m rencontres_$SERVICE`
#   PACKAGE  the uv workspace package to install, default rencontres-$SERVICE
# For SERVICE=infra, give the module to run as the command, e.g. the SMTP/SMS sink:
#   command: ["python", "-m", "rencontres_infra.sinks", "--smtp-port", "1025", "--http-port", "1080", "--dir", "/data"]
# Packages are installed editable, so package data beside the sources (the registration
# catalog, notify's templates) is found at /app/... in the final image.

ARG PYTHON_IMAGE=python:3.11-slim

FROM ${PYTHON_IMAGE} AS build
ARG SERVICE=registration
ARG PACKAGE=rencontres-${SERVICE}
ENV UV_LINK_MODE=copy \
    UV_COMPILE_BYTECODE=1 \
    UV_PYTHON_DOWNLOADS=never \
    UV_PROJECT_ENVIRONMENT=/app/.venv
RUN pip install --no-cache-dir "uv>=0.5"
WORKDIR /app
# Dependencies first (cached while only sources change): the lock and every member's pyproject.
COPY pyproject.toml uv.lock ./
COPY contracts/pyproject.toml contracts/
COPY libs/kit/pyproject.toml libs/kit/
COPY services/registration/pyproject.toml services/registration/
COPY services/billing/pyproject.toml services/billing/
COPY services/notify/pyproject.toml services/notify/
COPY deploy/local/pyproject.toml deploy/local/
RUN uv sync --frozen --no-dev --no-install-workspace --package "${PACKAGE}"
# Then the sources, and the workspace packages themselves.
COPY contracts/ contracts/
COPY libs/kit/ libs/kit/
COPY services/ services/
COPY deploy/local/src/ deploy/local/src/
RUN uv sync --frozen --no-dev --package "${PACKAGE}"

FROM ${PYTHON_IMAGE} AS runtime
ARG SERVICE=registration
RUN useradd --create-home --uid 10001 --user-group app \
    && mkdir -p /data && chown app:app /data
COPY --from=build --chown=app:app /app /app
WORKDIR /app
ENV PATH=/app/.venv/bin:$PATH \
    PYTHONUNBUFFERED=1 \
    RENCONTRES_SERVICE=${SERVICE} \
    REGISTRATION_HOST=0.0.0.0 \
    BILLING_HOST=0.0.0.0 \
    NOTIFY_HOST=0.0.0.0
USER app
EXPOSE 8001 8002 8003
# /healthz on the service's own port (<NAME>_PORT, else its default).
HEALTHCHECK --interval=10s --timeout=3s --start-period=15s --retries=3 \
    CMD ["python", "-c", "import os, urllib.request; s = os.environ['RENCONTRES_SERVICE']; p = os.environ.get(s.upper() + '_PORT') or {'registration': '8001', 'billing': '8002', 'notify': '8003'}.get(s, '8000'); urllib.request.urlopen(f'http://127.0.0.1:{p}/healthz', timeout=2)"]
CMD ["sh", "-c", "exec python -m \"rencontres_${RENCONTRES_SERVICE}\""]
