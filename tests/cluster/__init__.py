"""Cluster tests: a package, so that its fixtures (the test cluster) end with its last test."""
