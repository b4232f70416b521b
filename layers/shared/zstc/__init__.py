"""zstc shared layer: schemas, limits, errors, settings, AWS adapters and classification logic.

Every Lambda function imports this package from the shared layer; tests import the same code.
"""
