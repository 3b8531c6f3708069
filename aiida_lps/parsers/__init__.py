"""Parsers of aiida-lps."""
