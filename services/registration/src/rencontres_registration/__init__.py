"""rencontres_registration."""
