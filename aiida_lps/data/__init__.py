"""AiiDA data plugins of aiida-lps."""
