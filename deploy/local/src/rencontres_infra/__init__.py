"""rencontres_infra."""
