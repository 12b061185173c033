"""`python -m rencontres_<service>`: one way to serve every service's app with uvicorn."""

import os

import uvicorn


def serve(service: str, default_port: int) -> None:
    """Serve `rencontres_<service>.app:create_app` on `<SERVICE>_HOST`:`<SERVICE>_PORT`."""
    prefix = service.upper()
    uvicorn.run(
        f"rencontres_{service}.app:create_app",
        factory=True,
        host=os.environ.get(f"{prefix}_HOST", "127.0.0.1"),
        port=int(os.environ.get(f"{prefix}_PORT", str(default_port))),
        log_level=os.environ.get("LOG_LEVEL", "info").lower(),
    )
