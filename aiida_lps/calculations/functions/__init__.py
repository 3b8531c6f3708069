"""Calcfunctions: one per module, each wrapping one core function."""
