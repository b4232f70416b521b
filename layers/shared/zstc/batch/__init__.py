"""Batch jobs: the jobs API logic, input formats, start_batch, process_results and their AWS adapters."""
