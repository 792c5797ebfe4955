"""Benchmarks (`make bench`): printed as a table and written as JSON under var/bench/."""
