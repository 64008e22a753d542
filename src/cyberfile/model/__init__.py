"""Pydantic models of a device project: one module per YAML file, plus the vocabulary."""
