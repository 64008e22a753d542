"""Postmarket clocks and metrics derived from the vulnerability history (pure data)."""
