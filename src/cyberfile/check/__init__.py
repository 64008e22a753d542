"""Checks over a loaded project; each returns Diagnostics and never prints."""
