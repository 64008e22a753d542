"""Comment-preserving YAML writes (ruamel.yaml round-trip), always atomic."""
