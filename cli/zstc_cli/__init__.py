"""The ``zstc`` command: a client of the zstc API, ``zstc eval``, and the driver of the local stack.

``zstc_cli.main`` registers the command groups (``zstc_cli.commands``); the HTTP client is
``zstc_cli.client``. The emulator (``zstc_local``) and the engine (``zstc_engine``) are imported only
by ``zstc_cli.local_stack``, itself imported only when ``local ...``, ``demo`` or ``eval --local`` run.
"""
