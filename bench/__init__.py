"""Benchmark of the personal-account part of the portal (see bench/README.md)."""
