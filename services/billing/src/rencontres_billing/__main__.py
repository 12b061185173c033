"""`python -m rencontres_billing`: serve the app with uvicorn on BILLING_PORT."""

import os

import uvicorn


def main() -> None:
    uvicorn.run(
        "rencontres_billing.app:create_app",
        factory=True,
        host=os.environ.get("BILLING_HOST", "127.0.0.1"),
        port=int(os.environ.get("BILLING_PORT", "8002")),
        log_level=os.environ.get("LOG_LEVEL", "info").lower(),
    )


if __name__ == "__main__":
    main()
