"""Touchpoint's semantic engine: finds contradictions between patient documents and protocols."""

__version__ = "0.1.0"
