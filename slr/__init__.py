"""slr: a reproducible systematic literature review pipeline."""

__version__ = "0.1.0"
