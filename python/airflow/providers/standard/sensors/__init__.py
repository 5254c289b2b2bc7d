"""The standard provider's sensors (importable; not supported yet)."""
