"""Helpers for deterministic example data: PNG files, 3GPP path loss, build stamps."""
