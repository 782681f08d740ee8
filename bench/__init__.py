"""Benchmarks for accord and the seeded generator of their synthetic data."""
