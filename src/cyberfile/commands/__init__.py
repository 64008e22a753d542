"""One module per command: the pipeline behind each CLI verb."""
