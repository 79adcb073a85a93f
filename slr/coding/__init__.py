"""Coding the included studies against the protocol's concepts.

Modules: `log` (the append-only coding log per coder, labels, suggestions, agreement) and
`sheet` (the wide CSV/XLSX coding sheet: template out, filled sheet in).
"""
