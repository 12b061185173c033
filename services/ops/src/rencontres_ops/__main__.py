"""`python -m rencontres_ops`: serve the ops dashboard (see rencontres_kit.serve)."""

from rencontres_kit.serve import serve

if __name__ == "__main__":
    serve("ops", 8004)
