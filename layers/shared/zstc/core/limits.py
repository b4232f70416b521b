"""Request limits: the one place they are defined.

They are enforced by the request schema before the endpoint is called. The NLI model runs one
forward pass per (text, label) pair, so texts x labels is what bounds the endpoint's latency.
"""

from __future__ import annotations

MAX_TEXTS_PER_REQUEST = 32
"""Texts in one real-time request (``inputs`` as a list)."""

MAX_TEXT_CHARS = 20_000
"""Characters per text. A text longer than the model's input is scored in overlapping windows (never
silently truncated); the pair budget below bounds how many windows a request may take."""

WINDOW_TOKENS = 254
"""Tokens of text in the smallest model window the engine uses (the offline MiniLM's 256 minus its two
special tokens; bart-large-mnli's windows are ~4x larger). The engine overlaps windows by an eighth."""

MAX_TEXT_WINDOWS = 96
"""Model windows one text may take; the engine's ``zstc_engine.windows.DEFAULT_MAX_WINDOWS`` is the same
number (a test keeps them equal), and the API refuses a text whose estimate is larger, before the model.

The API cannot tokenise, so it estimates a text's windows as an upper bound of the engine's for the
tokenizers we ship (``zstc.contract.request.estimated_windows``), the larger of two:

- WordPiece (MiniLM, text alone): at most one token per character of the text's compatibility
  decomposition (NFKD: a Hangul syllable is two or three jamo, each its own WordPiece; "\ufdfa" is 18
  characters), in windows of :data:`WINDOW_TOKENS`;
- byte-level BPE (bart-large-mnli, text beside a hypothesis): at most one token per UTF-8 byte (of the
  text or of its NFKD form, whichever is longer), in windows of :data:`NLI_INPUT_TOKENS` minus
  :data:`NLI_PAIR_SPECIAL_TOKENS` minus the request's longest hypothesis bound.

Windows overlap by an eighth. Dense text (CJK, code, ``a.a.``) really takes one token per character
(WordPiece), and a byte-level BPE may take one per byte, so the bound is met, never undercut: a text the
API accepts never fails at the model for its length, and the pair budget is the pairs the model runs.
A 20,000-character text of one token per character takes 90 windows; CJK (3 bytes a character) is
bounded by WordPiece's count; 4-byte characters (emoji, astral scripts) fit about 16,000 to a text."""

NLI_INPUT_TOKENS = 1024
"""Tokens of the NLI model's input (bart-large-mnli's positions): premise, hypothesis and specials."""

NLI_PAIR_SPECIAL_TOKENS = 4
"""Special tokens BART adds to a premise/hypothesis pair (``<s> A </s></s> B </s>``)."""

MAX_HYPOTHESIS_TOKENS = 512
"""Bound of one hypothesis (a template with a label or its description put in) in model tokens, estimated
as UTF-8 bytes (of the text or its NFKD form, whichever is longer). The API refuses a request whose
longest hypothesis may be longer, before the model: the premise keeps at least
``NLI_INPUT_TOKENS - NLI_PAIR_SPECIAL_TOKENS - MAX_HYPOTHESIS_TOKENS`` (508) tokens a window. Every ASCII
hypothesis within the character limits fits (a 200-character template and a 300-character
description); a description of CJK fits about 160 characters beside a 20-character template. The
engine refuses a hypothesis that does not fit its model (``zstc_engine.nli``) by the same rule."""

MAX_LABELS = 500
"""Candidate labels per request, JSON Lines record and job. Above :data:`SHORTLIST_ABOVE` labels the NLI
method scores a shortlist, so the model's cost is bounded by the pair budget below, not by this."""

SHORTLIST_ABOVE = 32
"""The endpoint's default: requests with more labels than this are shortlisted (NLI method) unless
they say ``"shortlist": false``. The engine's own copy (``zstc_engine.nli``) is kept equal by a test."""

DEFAULT_SHORTLIST_MAX_K = 32
"""The most labels the NLI model scores per text under the default shortlist, which sizes itself per
text up to this (``zstc_engine.nli.DEFAULT_SHORTLIST.max_k``, kept equal by a test). The pair budget
counts this maximum, never the mean, so it stays an upper bound of what the model runs."""

MAX_LABEL_CHARS = 100
"""Characters per candidate label."""

MAX_PAIRS_PER_REQUEST = 256
"""Premise/hypothesis pairs the model scores for one request: the sum over texts of estimated
windows x scored labels x templates (an upper bound of what the model runs; scored labels: the
shortlist when there is one). It bounds the endpoint's latency. The API does not know which method the
endpoint runs, so it budgets the NLI method's cost, the costlier one: the embedding method's (texts x
windows) is below it."""

MAX_TEMPLATE_CHARS = 200
"""Characters in a hypothesis template."""

MAX_TEMPLATES = 8
"""Hypothesis templates in one request (an ensemble)."""

MAX_DESCRIPTION_CHARS = 300
"""Characters in one label description."""

MAX_EXAMPLES_PER_LABEL = 16
"""Examples one label may have in ``label_examples`` (SetFit and GLiClass report their gains with ~8)."""

MAX_EXAMPLE_CHARS = 1_000
"""Characters in one label example: an example is a short representative text (a BANKING77 query is
under 400 characters, an AG News item under 750), not a document to be windowed at length."""

MAX_EXAMPLE_WINDOWS = 2_048
"""Model windows all the examples of one request may take, estimated as a text's are (one token per
NFKD character, windows of ``WINDOW_TOKENS``; a short example is one window). Each window is one
bi-encoder pass (the embedding method's model, or the NLI method's shortlist bi-encoder), made once per
endpoint process and then cached like a label's hypotheses: this bounds what a request costs on a cold
cache. The pair budget below cannot hold them (77 labels x 8 examples is 616 windows): it counts the
NLI model's pairs, each a forward pass of a far larger model, so examples have their own budget. 2,048
admits 77 labels x 16 examples (BANKING77's 1,232) or 500 labels x 4."""

MAX_EXAMPLE_BYTES = 100_000
"""UTF-8 bytes of all the examples of one request or job: a job keeps its parameters in its DynamoDB
item (at most 400 KB, with room left for its labels and counts). BANKING77's 77 x 16 examples are
68 KB."""

MAX_BODY_BYTES = 1_048_576
"""Request body size (1 MiB), far below SageMaker's 6 MB InvokeEndpoint payload limit."""

SAGEMAKER_MAX_PAYLOAD_BYTES = 6 * 1024 * 1024
"""InvokeEndpoint's documented request payload limit, for reference and checks."""

# --- batch jobs -----------------------------------------------------------------------------------

MAX_BATCH_FILE_BYTES = 2 * 1024**3
"""Largest input file a batch job accepts (2 GiB); the presigned upload URL enforces it too."""

MAX_BATCH_RECORDS = 1_000_000
"""Records per batch input file."""

MAX_RECORD_ID_CHARS = 256
"""Characters of a batch record's ``id`` (stored with each result item; DynamoDB items are <= 400 KB)."""

MAX_RECORD_ID_INT = 10**38 - 1
"""Largest magnitude of an integer ``id``: DynamoDB numbers hold 38 significant digits."""

MAX_PROBLEM_CHARS = 300
"""Characters of one stored reason: a rejected line's problem (job item), a failed record's error."""

MAX_HISTOGRAM_LABELS = 100
"""Labels kept by name in a job's ``label_histogram``; the rest are counted under one key."""

HISTOGRAM_OTHER_KEY = "(other labels)"
"""The histogram key that counts the top labels beyond :data:`MAX_HISTOGRAM_LABELS`."""

DEFAULT_MAX_FAILED_SHARE = 0.1
"""A job whose records failed at the model beyond this share (0-1) ends Failed (POST /jobs can set it)."""

MAX_REPORTED_PROBLEMS = 100
"""A rejected input's report lists at most this many problems (line numbers and reasons)."""

SHARD_MAX_RECORDS = 2_000
"""Records per staged shard: shards are what batch transform spreads over instances."""

SHARD_MAX_BYTES = 8 * 1024 * 1024
"""Bytes per staged shard."""

UPLOAD_URL_EXPIRY_SECONDS = 900
"""How long a presigned upload URL from POST /jobs stays valid."""

# --- label sets -----------------------------------------------------------------------------------

MAX_LABEL_SET_NAME_CHARS = 64
"""Characters of a label set's name (letters, digits, ``.``, ``_``, ``-``; it is part of S3 keys)."""

MAX_LABEL_SET_VERSION = 999_999_999
"""The highest version number a reference (``name@N``) may name."""

MAX_LABEL_SET_NOTE_CHARS = 2_000
"""Characters of a label set version's free-text note."""

LABEL_SET_ITEM_MAX_BYTES = 200_000
"""A label set version whose parameters take more bytes than this (as JSON) is stored in the data
bucket, its DynamoDB item holding a pointer: items are limited to 400 KB with every attribute, and a
read costs one unit per 4 KB, so large versions are one S3 GET instead (and are cached by the API)."""

LABEL_SET_CACHE_VERSIONS = 32
"""Resolved label set versions the api function keeps in memory (versions are immutable)."""

LABEL_SETS_PAGE_DEFAULT = 20
LABEL_SETS_PAGE_MAX = 100

RESULTS_PAGE_DEFAULT = 100
RESULTS_PAGE_MAX = 1_000
JOBS_PAGE_DEFAULT = 20
JOBS_PAGE_MAX = 100
