"""The only code that talks to the billing database: one module per collection's concept."""
