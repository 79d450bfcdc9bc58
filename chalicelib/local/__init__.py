"""Local use: the embedded moto stack, the queue driver with virtual time, and the ``flowctl`` CLI."""
