"""Rendering: Jinja environment, submission documents, diagrams, site and PDFs."""
