"""zstc's local stack and `zstc` CLI: template.yaml's functions, API, events and transforms, locally."""
