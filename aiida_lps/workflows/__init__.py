"""AiiDA workflows of aiida-lps."""
