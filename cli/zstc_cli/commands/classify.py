"""``zstc classify`` and ``zstc health``: real-time classification and the endpoint's status.

Usage:
    zstc classify "Call my grandparents every Sunday" --labels "Family,Finance,Health"
    zstc classify --file texts.txt --labels-file labels.csv --json
    zstc health --api-url https://abc123.execute-api.eu-west-1.amazonaws.com/v1
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Any

import typer

from zstc_cli.errors import CliError, ExitCode
from zstc_cli.options import (
    DescriptionsOption,
    EvidenceOption,
    JsonOption,
    LabelSetOption,
    LabelsFileOption,
    LabelsOption,
    MultiLabelOption,
    TargetOptions,
    TemplatesOption,
    ThresholdOption,
    api_client,
    examples,
    target_options,
)

TITLE_CHARACTERS = 80
"""A text longer than this is cut in its table's title (the JSON keeps it whole)."""

CLASSIFY_EXAMPLES = examples(
    'zstc classify "Call my grandparents every Sunday" -l "Family,Finance,Health"',
    'zstc classify "pay off my card" -l "Health,Finance" --threshold 0.5',
    'zstc classify -f texts.txt -l "Health,Finance" -t "It is about {}." --json',
    "zstc classify -f - --labels-file labels.csv < texts.txt",
    'zstc classify "run a marathon" -l "Health,Career" --stack-name zstc',
    'zstc classify "I lost my card" --label-set intents@2',
)


@target_options
def classify(
    ctx: typer.Context,
    texts: Annotated[list[str] | None, typer.Argument(help="Texts to classify.", show_default=False)] = None,
    labels: LabelsOption = None,
    labels_file: LabelsFileOption = None,
    label_set: LabelSetOption = None,
    multi_label: MultiLabelOption = False,
    template: TemplatesOption = None,
    descriptions: DescriptionsOption = None,
    threshold: ThresholdOption = None,
    evidence: EvidenceOption = False,
    file: Annotated[
        Path | None,
        typer.Option("--file", "-f", help="More texts, one per line (- reads stdin).", show_default=False),
    ] = None,
    as_json: JsonOption = False,
    *,
    target: TargetOptions,
) -> None:
    """Classify texts into labels.

    A table per text (labels, scores, bars, best first), or the API's JSON with --json.
    """
    from zstc_cli.client.chunks import request_chunks  # noqa: PLC0415
    from zstc_cli.inputs import read_texts  # noqa: PLC0415
    from zstc_cli.labels import (  # noqa: PLC0415
        pinned_label_set,
        refuse_beside_label_set,
        resolve_labels,
        steering,
    )
    from zstc_cli.output import classification_table, console  # noqa: PLC0415

    client = api_client(ctx, target)
    if label_set is not None:
        refuse_beside_label_set(
            labels=labels,
            labels_file=labels_file,
            multi_label=multi_label,
            templates=template,
            descriptions=descriptions,
            threshold=threshold,
        )
        all_texts = read_texts(texts or [], file)
        pinned = pinned_label_set(client, label_set)
        # chunked by the set's labels; each request names the one version read
        chunking = {**pinned["parameters"], **({"return_evidence": True} if evidence else {})}
        parameters: dict[str, Any] = {
            "label_set": pinned["label_set"],
            **({"return_evidence": True} if evidence else {}),
        }
    else:
        chosen = resolve_labels(labels, labels_file)
        if chosen is None:
            raise CliError(
                '--labels is required, e.g. --labels "Health,Finance,Career" (or --labels-file FILE, or '
                "--label-set NAME)",
                ExitCode.USAGE,
            )
        all_texts = read_texts(texts or [], file)
        parameters = {
            "candidate_labels": chosen.names,
            "multi_label": multi_label,
            **steering(chosen, template, descriptions, threshold, evidence),
        }
        chunking = parameters
    answers: list[dict[str, Any]] = []
    for start, end in request_chunks(all_texts, chunking):
        chunk = all_texts[start:end]
        try:
            answer = client.classify({"inputs": list(chunk), "parameters": parameters})
            answers += answer if isinstance(answer, list) else [answer]
        except CliError as error:
            if start or len(all_texts) > len(chunk):
                error.message += f" (texts {start + 1}-{start + len(chunk)} of {len(all_texts)})"
            raise
    out = console()
    if as_json:
        out.print_json(json.dumps(answers[0] if len(all_texts) == 1 else answers))
        return
    for answer in answers:
        text = answer["sequence"]
        cut = text if len(text) <= TITLE_CHARACTERS else text[: TITLE_CHARACTERS - 3] + "..."
        out.print(classification_table(answer, cut))
        out.print()


@target_options
def health(ctx: typer.Context, *, target: TargetOptions) -> None:
    """The model endpoint's status (GET /health).

    Exit 4 when it is not InService.
    """
    from zstc_cli.output import console  # noqa: PLC0415

    report = api_client(ctx, target).health()
    console().print(f"endpoint {report.get('endpoint_name')}: {report.get('status')}")
    if not report.get("ready"):
        raise CliError(f"the endpoint is not ready ({report.get('status')})", ExitCode.API_FAILED)


def register(app: typer.Typer) -> None:
    """Add ``classify`` and ``health`` to the root command."""
    app.command(epilog=CLASSIFY_EXAMPLES)(classify)
    app.command(epilog=examples("zstc health", "zstc health --stack-name zstc"))(health)
