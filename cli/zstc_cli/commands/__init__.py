"""One module per command group; each has a ``register(app)`` the composition root calls.

A command module imports what it drives when the command runs (``zstc_cli.local_stack`` for the
emulator and the engine), never at import: every module here is loaded at each start-up.
"""
