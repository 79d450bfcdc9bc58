"""Benchmarks that print Inside Flow's figures (``make bench``); never run as tests.

Each module measures one thing; ``__main__`` runs them all and prints one table.
"""
