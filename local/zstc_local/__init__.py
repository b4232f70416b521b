"""zstc's local stack: runs the template's handlers on one machine against a local AWS emulator."""
