"""Core: settings, errors, limits, observability, the AWS client factory and the S3 adapter."""
