"""What drives the emulator (``zstc_local``) and the engine for ``local ...``, ``demo`` and ``eval --local``.

Imported only when one of those commands runs: its modules import the emulator at their top. Each
turns the emulator's own errors into a ``CliError`` (SAM CLI's ``do_cli`` does the same).
"""
