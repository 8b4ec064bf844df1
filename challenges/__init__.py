"""The challenge bundle: its schema, its loader, and the example challenges."""
