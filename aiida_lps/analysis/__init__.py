"""Pure-science core: no AiiDA imports allowed here."""
