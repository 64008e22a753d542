"""The traceability graph: threat -> control -> requirement -> test -> evidence."""
