"""`python -m rencontres_<service>`: one way to serve every service's app with uvicorn."""

import importlib
import os

import uvicorn

from rencontres_kit import observability


def serve(service: str, default_port: int) -> None:
    """Serve `rencontres_<service>.app:create_app` on `<SERVICE>_HOST`:`<SERVICE>_PORT`, with
    JSON logs, tracing and HTTP metrics installed before the app makes its clients."""
    prefix = service.upper()
    observability.setup(service)
    app = importlib.import_module(f"rencontres_{service}.app").create_app()
    observability.instrument_app(app)
    uvicorn.run(
        app,
        log_config=None,  # uvicorn's lines go through the JSON formatter too
        host=os.environ.get(f"{prefix}_HOST", "127.0.0.1"),
        port=int(os.environ.get(f"{prefix}_PORT", str(default_port))),
        log_level=os.environ.get("LOG_LEVEL", "info").lower(),
        # uvicorn closes an idle kept-alive connection after 5 s by default; a client that
        # sends its next request on it at that moment gets the connection reset (seen under
        # load in the 500-submission race test). Keep connections longer than the proxies in
        # front usually do (nginx: 60 s), so the proxy, not the service, closes them.
        timeout_keep_alive=75,
        # Whose X-Forwarded-For to believe is each app's setting (registration:
        # REGISTRATION_TRUSTED_PROXIES), not uvicorn's default of 127.0.0.1.
        proxy_headers=False,
    )
