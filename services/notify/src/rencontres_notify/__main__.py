"""`python -m rencontres_notify`: serve the notify service (see rencontres_kit.serve)."""

from rencontres_kit.serve import serve

if __name__ == "__main__":
    serve("notify", 8003)
