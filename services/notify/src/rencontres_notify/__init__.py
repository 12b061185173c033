"""rencontres_notify."""
