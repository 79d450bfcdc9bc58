"""The edges that run the engine: services wiring, the worker, starting runs, Lambda handlers."""
