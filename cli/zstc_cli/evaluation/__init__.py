"""``zstc eval``: label variants, their scores against annotated examples (scikit-learn), the report."""
