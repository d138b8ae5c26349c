"""Benchmarks of mostread: cold start, CPU per view, DynamoDB units per view, hot keys, ranking-run scale.

Run ``python -m benchmarks.run [--quick] [names...]`` (or ``make bench``); results go to BENCHMARKS.md.
"""
