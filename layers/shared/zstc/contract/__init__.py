"""The classification contract: request/response schemas and the check of a model's answer."""
