"""One self-contained HTML page per workflow: ``html`` writes it (no AiiDA), ``workflows`` reads the nodes."""
