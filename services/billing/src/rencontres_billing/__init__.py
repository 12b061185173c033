"""rencontres_billing."""
