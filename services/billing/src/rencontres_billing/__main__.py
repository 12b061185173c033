"""`python -m rencontres_billing`: serve the billing service (see rencontres_kit.serve)."""

from rencontres_kit.serve import serve

if __name__ == "__main__":
    serve("billing", 8002)
