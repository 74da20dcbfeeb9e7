"""Benchmarks: each writes a JSON result under bench/results/ (never timed assertions)."""
