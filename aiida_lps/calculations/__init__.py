"""AiiDA calculation plugins of aiida-lps."""
