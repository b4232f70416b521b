"""The public contract of zstc's API, one module per purpose.

- :mod:`~zstc.contract.request`: ``POST /classify``'s body (:class:`ClassifyRequest`, its parameters).
- :mod:`~zstc.contract.answer`: the answer per text (:class:`Classification`) and the check of a
  model's answer against its request.
- :mod:`~zstc.contract.batch_input`: batch input formats (extensions, media types) and records.
- :mod:`~zstc.contract.jobs`: job statuses, ``POST /jobs``' body and the job views.
- :mod:`~zstc.contract.results`: a job's results, their page and the results CSV layout.
- :mod:`~zstc.contract.health`, :mod:`~zstc.contract.errors`: ``GET /health``'s answer, the error envelope.
- :mod:`~zstc.contract.media_types`: every media type, once.
- :mod:`~zstc.contract.text`: input hygiene every schema shares.

It imports only :mod:`zstc.core`; the API's client imports it to speak the same contract.
"""
