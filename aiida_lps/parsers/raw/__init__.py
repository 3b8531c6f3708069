"""Plain-text parsing of code outputs, independent of AiiDA nodes."""
