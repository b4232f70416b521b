"""Where things live: S3 prefixes, key formats and DynamoDB keys (the one place they are defined)."""

from __future__ import annotations

import hashlib
import re
import secrets

INPUT_PREFIX = "input/"
STAGING_PREFIX = "staging/"
OUTPUT_PREFIX = "output/"
RESULTS_PREFIX = "results/"
ERRORS_PREFIX = "errors/"

JOB_ID_PATTERN = re.compile(r"^[a-z0-9]{6,24}$")
"""Job ids: lowercase letters and digits, so they fit in transform job names and S3 keys."""

INPUT_KEY_PATTERN = re.compile(r"^input/(?P<job_id>[^/]+)/(?P<filename>[^/]+)$")


def new_job_id() -> str:
    """A random job id for POST /jobs (16 lowercase hex characters)."""
    return secrets.token_hex(8)


def job_id_for_upload(bucket: str, key: str) -> str:
    """A deterministic job id for a file uploaded without POST /jobs (same key, same job)."""
    return hashlib.sha256(f"{bucket}/{key}".encode()).hexdigest()[:16]


def transform_job_name(prefix: str, job_id: str, bucket: str, key: str, version: str) -> str:
    """Derived from the object (bucket, key, version or ETag): a duplicate S3 event names the same job.

    The job id is part of the name so the state-change event leads back to the job.
    """
    digest = hashlib.sha256(f"{bucket}/{key}#{version}".encode()).hexdigest()[:12]
    return f"{prefix}{job_id}-{digest}"[:63]


def job_id_from_transform_name(prefix: str, name: str) -> str | None:
    """The job id inside a transform job name, or None when the name is not one of ours."""
    if not name.startswith(prefix):
        return None
    job_id, _, digest = name[len(prefix) :].rpartition("-")
    return job_id if JOB_ID_PATTERN.match(job_id) and len(digest) == 12 else None


def input_key(job_id: str, filename: str) -> str:
    """Where POST /jobs asks the client to upload."""
    return f"{INPUT_PREFIX}{job_id}/{filename}"


def staging_prefix(job_id: str) -> str:
    """Folder of the normalised model requests (the transform job's input)."""
    return f"{STAGING_PREFIX}{job_id}/"


def _part(index: int) -> str:
    """The name every per-shard object shares: ``part-00000``."""
    return f"part-{index:05d}"


def shard_key(job_id: str, index: int) -> str:
    """One staged shard: ``staging/<job_id>/part-00000.jsonl``."""
    return f"{staging_prefix(job_id)}{_part(index)}.jsonl"


def output_prefix(job_id: str) -> str:
    """Folder batch transform writes ``<shard>.out`` files to."""
    return f"{OUTPUT_PREFIX}{job_id}/"


def output_key(job_id: str, index: int) -> str:
    """Batch transform's output for one shard: the input name plus ``.out``."""
    return f"{output_prefix(job_id)}{_part(index)}.jsonl.out"


def results_key(job_id: str) -> str:
    """The consolidated CSV of a completed job."""
    return f"{RESULTS_PREFIX}{job_id}/results.csv"


def results_part_key(job_id: str, index: int) -> str:
    """The CSV rows of one shard, assembled into results.csv at the end."""
    return f"{RESULTS_PREFIX}{job_id}/parts/{_part(index)}.csv"


def results_header_key(job_id: str) -> str:
    """The header row of results.csv, assembled before the shards' rows."""
    return f"{RESULTS_PREFIX}{job_id}/parts/header.csv"


def errors_key(job_id: str) -> str:
    """The report of a rejected input."""
    return f"{ERRORS_PREFIX}{job_id}/report.json"


def unassigned_errors_key(bucket: str, key: str) -> str:
    """The report of an upload outside ``input/<job_id>/<file>`` (no job to hold it)."""
    return f"{ERRORS_PREFIX}unassigned/{job_id_for_upload(bucket, key)}.json"


# DynamoDB: one table, the job item and its result items share a partition.
def job_pk(job_id: str) -> str:
    """Partition key of a job and its results."""
    return f"JOB#{job_id}"


JOB_SK = "JOB"
RESULT_SK_PREFIX = "R#"


def result_sk(position: int) -> str:
    """Sort key of a result: zero-padded input position, so a Query returns input order."""
    return f"{RESULT_SK_PREFIX}{position:010d}"


STATUS_INDEX = "by-status"
"""GSI: partition ``status``, sort ``created_at`` (list jobs by status and time)."""

RESULT_PAGE_KEY_NAMES = frozenset({"pk", "sk"})
"""The attributes of a LastEvaluatedKey when querying a job's results."""

JOB_PAGE_KEY_NAMES = frozenset({"pk", "sk", "status", "created_at"})
"""The attributes of a LastEvaluatedKey when querying the by-status index."""
