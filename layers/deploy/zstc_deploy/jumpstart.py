"""Resolve a JumpStart model (id + version) to what a SageMaker model needs, without the SDK.

Reads JumpStart's public metadata the way the SageMaker Python SDK does (checked against
sagemaker-core 2.27.0 in tests/sdk): the regional ``jumpstart-cache-prod-<region>`` bucket's
``models_manifest.json``, then the model's spec file. From the spec: the inference image (per
instance type/family variant, else the Hugging Face image registry for ``hosting_ecr_specs``), the
model artifact (prepacked wins), the inference script and the default environment (spec defaults,
then variant overrides). Deprecated and vulnerable specs are refused.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from dataclasses import dataclass
from difflib import get_close_matches
from functools import cache
from importlib import resources
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError

MANIFEST_KEY = "models_manifest.json"
_FAMILY = re.compile(r"^ml[._]([a-z\d\-]+)\.?\w*$")  # the SDK's instance family rule


class JumpStartError(Exception):
    """The model cannot be resolved; the message says which input or which metadata is wrong."""


class ManifestEntry(BaseModel):
    """One row of ``models_manifest.json``."""

    model_config = ConfigDict(extra="ignore")

    model_id: str
    version: str
    min_version: str = "0"
    spec_key: str


class EcrSpecs(BaseModel):
    """``hosting_ecr_specs``: the framework image a spec without image variants runs on."""

    model_config = ConfigDict(extra="ignore")

    framework: str
    framework_version: str
    py_version: str
    huggingface_transformers_version: str | None = None


class EnvironmentVariable(BaseModel):
    """One entry of ``inference_environment_variables``."""

    model_config = ConfigDict(extra="ignore")

    name: str
    default: str | int | float | bool


class InstanceTypeVariants(BaseModel):
    """``hosting_instance_type_variants``: per-region aliases and per-type/family properties."""

    model_config = ConfigDict(extra="ignore")

    regional_aliases: dict[str, dict[str, str]] | None = None
    variants: dict[str, dict[str, Any]] = Field(default_factory=dict)


class ModelSpec(BaseModel):
    """The fields of a JumpStart spec file that hosting needs."""

    model_config = ConfigDict(extra="ignore")

    model_id: str
    version: str
    hosting_artifact_key: str | None = None
    hosting_prepacked_artifact_key: str | None = None
    hosting_script_key: str | None = None
    hosting_ecr_specs: EcrSpecs | None = None
    hosting_ecr_uri: str | None = None
    hosting_instance_type_variants: InstanceTypeVariants | None = None
    inference_environment_variables: list[EnvironmentVariable] = Field(default_factory=list)
    default_inference_instance_type: str | None = None
    supported_inference_instance_types: list[str] = Field(default_factory=list)
    deprecated: bool = False
    deprecated_message: str | None = None
    inference_vulnerable: bool = False
    inference_vulnerabilities: list[str] = Field(default_factory=list)


@dataclass(frozen=True)
class ResolvedModel:
    """Everything a ``AWS::SageMaker::Model`` needs from JumpStart, for one instance type."""

    model_id: str
    version: str
    instance_type: str
    image_uri: str
    model_data_url: str
    prepacked: bool
    script_url: str | None
    environment: dict[str, str]


FetchJson = Callable[[str, str], Any]
"""``fetch(bucket, key)`` -> parsed JSON; raises KeyError when the object does not exist."""


@cache
def _registry() -> dict[str, Any]:
    text = resources.files("zstc_deploy").joinpath("jumpstart_registry.json").read_text()
    registry: dict[str, Any] = json.loads(text)
    return registry


def metadata_bucket(region: str) -> str:
    """JumpStart's metadata/content bucket for ``region``; JumpStartError where it is not launched."""
    buckets: dict[str, str] = _registry()["jumpstart_buckets"]
    if region not in buckets:
        raise JumpStartError(
            f"unsupported region {region!r}: JumpStart is not available there "
            f"(launched regions: {', '.join(sorted(buckets))})"
        )
    return buckets[region]


def instance_family(instance_type: str) -> str:
    """``ml.g5.2xlarge`` -> ``g5`` (empty when the name has no family)."""
    match = _FAMILY.match(instance_type)
    return match[1] if match else ""


def _version_key(version: str) -> tuple[int, ...]:
    try:
        return tuple(int(part) for part in version.split("."))
    except ValueError:
        raise JumpStartError(f"malformed manifest: version {version!r} is not numeric") from None


def _same_version(a: str, b: str) -> bool:
    """Equal as PEP 440 release numbers: 2.1 == 2.1.0."""
    left, right = _version_key(a), _version_key(b)
    width = max(len(left), len(right))
    return left + (0,) * (width - len(left)) == right + (0,) * (width - len(right))


def select_version(model_id: str, requested: str, available: list[str]) -> str:
    """The version to use: ``*`` is the newest, ``2.*`` the newest 2.x, anything else exact."""
    if requested == "*":
        candidates = available
    elif requested.endswith(".*"):
        prefix = _version_key(requested.removesuffix(".*"))
        candidates = [v for v in available if _version_key(v)[: len(prefix)] == prefix]
    else:
        candidates = [v for v in available if _same_version(v, requested)]
    if not candidates:
        raise JumpStartError(
            f"model {model_id!r} has no version matching {requested!r} "
            f"(available: {', '.join(sorted(available, key=_version_key))})"
        )
    return max(candidates, key=_version_key)


def _parse_manifest(document: Any) -> list[ManifestEntry]:
    if not isinstance(document, list):
        raise JumpStartError(f"malformed manifest {MANIFEST_KEY}: expected a list of models")
    try:
        return [ManifestEntry.model_validate(row) for row in document]
    except ValidationError as error:
        raise JumpStartError(f"malformed manifest {MANIFEST_KEY}: {_first_problem(error)}") from None


def _first_problem(error: ValidationError) -> str:
    problem = error.errors()[0]
    where = ".".join(str(part) for part in problem["loc"]) or "document"
    return f"{where}: {problem['msg']}"


def find_spec_key(model_id: str, version: str, manifest: list[ManifestEntry]) -> tuple[str, str]:
    """(resolved version, spec key) of ``model_id`` at ``version`` in the manifest."""
    entries = [entry for entry in manifest if entry.model_id == model_id]
    if not entries:
        near = get_close_matches(model_id, sorted({entry.model_id for entry in manifest}), n=3)
        hint = f" (did you mean {', '.join(near)}?)" if near else ""
        raise JumpStartError(f"unknown model id {model_id!r}: it is not in JumpStart's manifest{hint}")
    chosen = select_version(model_id, version, [entry.version for entry in entries])
    [entry] = [e for e in entries if _same_version(e.version, chosen)][:1]
    return entry.version, entry.spec_key


def parse_spec(document: Any, spec_key: str) -> ModelSpec:
    """Validate a spec file; a malformed one raises JumpStartError naming the file and the field."""
    try:
        return ModelSpec.model_validate(document)
    except ValidationError as error:
        raise JumpStartError(f"malformed spec {spec_key}: {_first_problem(error)}") from None


def check_usable(spec: ModelSpec) -> None:
    """Refuse deprecated or vulnerable specs, as the SDK does by default."""
    if spec.deprecated:
        reason = spec.deprecated_message or "no reason given"
        raise JumpStartError(f"model {spec.model_id!r} version {spec.version} is deprecated: {reason}")
    if spec.inference_vulnerable:
        found = ", ".join(spec.inference_vulnerabilities) or "unspecified"
        raise JumpStartError(
            f"model {spec.model_id!r} version {spec.version} has known inference vulnerabilities "
            f"({found}); choose another version"
        )


def _variant_property(variants: InstanceTypeVariants, instance_type: str, section: str, name: str) -> Any:
    """A property of the instance type's variant, else of its family's (the type wins)."""
    for key in (instance_type, instance_family(instance_type)):
        value = variants.variants.get(key, {}).get(section, {}).get(name) if key else None
        if value:
            return value
    return None


def image_uri(spec: ModelSpec, region: str, instance_type: str) -> str:
    """The inference image for ``instance_type`` in ``region``."""
    variants = spec.hosting_instance_type_variants
    if variants is not None:
        if variants.regional_aliases is None:
            uri = _variant_property(variants, instance_type, "properties", "image_uri")
        else:
            alias = _variant_property(variants, instance_type, "regional_properties", "image_uri")
            if alias is not None and not str(alias).startswith("$"):
                raise JumpStartError(f"malformed spec: image alias {alias!r} does not start with '$'")
            if alias is not None and region not in variants.regional_aliases:
                raise JumpStartError(
                    f"unsupported region {region!r}: model {spec.model_id!r} has no image there"
                )
            uri = variants.regional_aliases[region].get(alias[1:]) if alias else None
        if uri:
            return str(uri)
    if spec.hosting_ecr_uri:
        return spec.hosting_ecr_uri
    if spec.hosting_ecr_specs is not None and variants is None:
        return huggingface_image_uri(spec.hosting_ecr_specs, region, instance_type)
    raise JumpStartError(
        f"model {spec.model_id!r} has no inference image for instance type {instance_type} in {region}; "
        f"supported types: {', '.join(spec.supported_inference_instance_types) or 'not listed'}"
    )


def huggingface_image_uri(ecr: EcrSpecs, region: str, instance_type: str) -> str:
    """The Hugging Face PyTorch inference image for ``hosting_ecr_specs`` (the SDK's registry)."""
    registry = _registry()["huggingface_inference"]
    if ecr.framework != "huggingface" or ecr.huggingface_transformers_version is None:
        raise JumpStartError(
            f"unsupported image spec: framework {ecr.framework!r} (only huggingface specs are resolved)"
        )
    pytorch = registry["versions"].get(ecr.huggingface_transformers_version, {}).get(ecr.framework_version)
    if pytorch is None or ecr.py_version not in pytorch["py_versions"]:
        raise JumpStartError(
            "unsupported image spec: no Hugging Face inference image for transformers "
            f"{ecr.huggingface_transformers_version}, PyTorch {ecr.framework_version}, {ecr.py_version}"
        )
    account = registry["registries"].get(region)
    if account is None:
        raise JumpStartError(f"unsupported region {region!r}: no Hugging Face inference images there")
    family = instance_family(instance_type)
    if family.startswith(("inf", "trn")):
        raise JumpStartError(f"instance type {instance_type} (Neuron) is not supported by this image")
    processor = "gpu" if family.startswith(("p", "g")) else "cpu"
    domain = "amazonaws.com.cn" if region.startswith("cn-") else "amazonaws.com"
    tag = "-".join(
        [
            f"{ecr.framework_version}-transformers{ecr.huggingface_transformers_version}",
            processor,
            ecr.py_version,
            pytorch["container_version"][processor],
        ]
    )
    return f"{account}.dkr.ecr.{region}.{domain}/{registry['repository']}:{tag}"


def model_data_key(spec: ModelSpec, instance_type: str) -> tuple[str, bool]:
    """(artifact key, prepacked?): a prepacked artifact (code included) wins when the spec has one."""
    variants = spec.hosting_instance_type_variants
    if spec.hosting_prepacked_artifact_key is not None:
        override = variants and _variant_property(
            variants, instance_type, "properties", "prepacked_artifact_key"
        )
        return str(override or spec.hosting_prepacked_artifact_key), True
    override = variants and _variant_property(variants, instance_type, "properties", "artifact_key")
    key = override or spec.hosting_artifact_key
    if not key:
        raise JumpStartError(f"malformed spec: model {spec.model_id!r} has no hosting artifact key")
    return str(key), False


def environment(spec: ModelSpec, instance_type: str) -> dict[str, str]:
    """The spec's default inference environment, then the instance variant's overrides."""
    values = {variable.name: str(variable.default) for variable in spec.inference_environment_variables}
    if spec.hosting_instance_type_variants is not None:
        variants = spec.hosting_instance_type_variants.variants
        for key in (instance_family(instance_type), instance_type):
            overrides = variants.get(key, {}).get("properties", {}).get("environment_variables", {})
            values.update({name: str(value) for name, value in overrides.items()})
    return values


def resolve(
    model_id: str, version: str, region: str, instance_type: str | None, fetch: FetchJson
) -> ResolvedModel:
    """Resolve ``model_id``/``version`` for ``instance_type`` (None: the spec's default type)."""
    bucket = metadata_bucket(region)
    try:
        manifest = _parse_manifest(fetch(bucket, MANIFEST_KEY))
    except KeyError:
        raise JumpStartError(
            f"unsupported region {region!r}: s3://{bucket}/{MANIFEST_KEY} is missing"
        ) from None
    resolved_version, spec_key = find_spec_key(model_id, version, manifest)
    try:
        spec = parse_spec(fetch(bucket, spec_key), spec_key)
    except KeyError:
        raise JumpStartError(
            f"missing spec: s3://{bucket}/{spec_key} (model {model_id!r} version {resolved_version}) "
            "does not exist"
        ) from None
    check_usable(spec)
    chosen_type = instance_type or spec.default_inference_instance_type
    if not chosen_type:
        raise JumpStartError(f"model {model_id!r} has no default inference instance type; pass one")
    artifact_key, prepacked = model_data_key(spec, chosen_type)
    return ResolvedModel(
        model_id=model_id,
        version=resolved_version,
        instance_type=chosen_type,
        image_uri=image_uri(spec, region, chosen_type),
        model_data_url=f"s3://{bucket}/{artifact_key}",
        prepacked=prepacked,
        script_url=f"s3://{bucket}/{spec.hosting_script_key}" if spec.hosting_script_key else None,
        environment=environment(spec, chosen_type),
    )
