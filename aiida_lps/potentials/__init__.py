"""Pure-science core: potential settings and helpers (no AiiDA imports allowed here)."""
