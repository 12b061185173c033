"""`python -m rencontres_registration`: serve the registration service."""

from rencontres_kit.serve import serve

if __name__ == "__main__":
    serve("registration", 8001)
