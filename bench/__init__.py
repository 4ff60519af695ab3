"""Benchmarks: `make bench` (or `python -m bench [--quick] [--only AREA]`)."""
