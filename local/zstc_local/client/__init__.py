"""The ``zstc`` command's client of the deployed (or local) API.

A client over HTTP only: it never imports the Lambda handlers. It may import ``zstc.core.limits``
and the contract's schemas, so requests are built within the API's own limits.
"""
