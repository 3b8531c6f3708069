"""Command line interface ``aiida-lps``."""
