"""The bottom layer: where a finding is (`Position`), how grave (`Severity`), what it says
(`Diagnostic`) and which rule made it (`Rule`, the registry). Imports nothing else from
cyberfile, so that every other package may use it."""
