"""Provider packages: only the standard provider's operators exist here."""
