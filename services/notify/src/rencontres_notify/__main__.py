"""`python -m rencontres_notify`: serve the app with uvicorn on NOTIFY_PORT."""

import os

import uvicorn


def main() -> None:
    uvicorn.run(
        "rencontres_notify.app:create_app",
        factory=True,
        host=os.environ.get("NOTIFY_HOST", "127.0.0.1"),
        port=int(os.environ.get("NOTIFY_PORT", "8003")),
        log_level=os.environ.get("LOG_LEVEL", "info").lower(),
    )


if __name__ == "__main__":
    main()
