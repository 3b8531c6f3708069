"""Plots (matplotlib imported lazily inside each function; nothing here is imported by the core)."""
