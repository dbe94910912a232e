"""Benchmarks at scale (``make bench``): see ``benchmarks.run``."""
