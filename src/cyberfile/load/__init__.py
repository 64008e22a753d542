"""Find project files, parse YAML with positions, and build the Project."""
