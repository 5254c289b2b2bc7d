"""The standard provider's utils (only weekday)."""
