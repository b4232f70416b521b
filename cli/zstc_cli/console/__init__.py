"""``zstc console``: a loopback web console (Playground, Jobs, Label sets, Evaluate) over the zstc API.

``server.py`` serves ``static/`` and forwards the page's API calls to the target through
``HttpApiClient`` (credentials stay in this process); ``evaluation.py`` runs ``zstc eval``'s code for
the Evaluate page. Nothing here imports the emulator or the engine: it works against any stack.
"""
