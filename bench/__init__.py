"""Benchmarks: each bench_*.py module has main() -> dict and prints JSON with a same-run baseline."""
