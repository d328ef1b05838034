"""Tamper-evident audit log: append-only events chained by SHA-256, written in the changing transaction."""
