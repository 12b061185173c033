"""`python -m rencontres_registration`: serve the app with uvicorn on REGISTRATION_PORT."""

import os

import uvicorn


def main() -> None:
    uvicorn.run(
        "rencontres_registration.app:create_app",
        factory=True,
        host=os.environ.get("REGISTRATION_HOST", "127.0.0.1"),
        port=int(os.environ.get("REGISTRATION_PORT", "8001")),
        log_level=os.environ.get("LOG_LEVEL", "info").lower(),
    )


if __name__ == "__main__":
    main()
