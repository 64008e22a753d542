"""cyberfile: a medical device's cybersecurity file as code."""

__version__ = "0.1.0"
