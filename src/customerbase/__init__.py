"""customerbase: self-hostable customer management for fintech platforms."""

__version__ = "0.1.0"
