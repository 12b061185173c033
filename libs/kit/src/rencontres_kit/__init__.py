"""Service plumbing shared by the Rencontres services; business rules never live here."""
