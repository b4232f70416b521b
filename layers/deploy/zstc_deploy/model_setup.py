"""The setup custom resource's work: resolve the JumpStart model and stage the endpoint's artifacts.

Create/Update resolve the model (zstc_deploy.jumpstart), stage what the model needs in the artifacts
bucket under one prefix per (model, version, inference code, artifact), and answer with the
attributes template.yaml feeds to ``AWS::SageMaker::Model``. The physical id is that prefix, so
a change of model or code makes CloudFormation replace the resource and later delete the old
prefix; Delete removes only the objects this resource wrote there.
"""

from __future__ import annotations

import hashlib
import json
import tempfile
from collections.abc import Callable, Mapping
from typing import IO, Any, Literal, cast

from botocore.exceptions import ClientError
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from zstc.core.observability import logger
from zstc.core.s3_io import MultipartWriter, head_object
from zstc_deploy import jumpstart
from zstc_deploy.custom_resource import ResourceResult
from zstc_deploy.model_artifacts import ENTRY_SCRIPT, InferenceCode, code_digest, repack, write_sourcedir

MODEL_TARBALL = "model.tar.gz"
SOURCEDIR_TARBALL = "sourcedir.tar.gz"
CODE_MOUNT = "/opt/ml/model/code"  # where the container finds code/ of the unpacked artifact

# The environment template.yaml passes to the model: one attribute per name (CloudFormation cannot
# turn a map attribute into Environment). Values are the spec's; a name the spec lacks gets the
# JumpStart Hugging Face default below. A spec variable outside this list fails the resource,
# rather than being dropped silently.
MODEL_ENVIRONMENT_DEFAULTS: dict[str, str] = {
    "SAGEMAKER_PROGRAM": ENTRY_SCRIPT,
    "SAGEMAKER_SUBMIT_DIRECTORY": CODE_MOUNT,
    "SAGEMAKER_CONTAINER_LOG_LEVEL": "20",
    "SAGEMAKER_MODEL_SERVER_TIMEOUT": "3600",
    "SAGEMAKER_MODEL_SERVER_WORKERS": "1",
    "SAGEMAKER_ENV": "1",
    "ENDPOINT_SERVER_TIMEOUT": "3600",
    "MODEL_CACHE_ROOT": "/opt/ml/model",
}


class SetupProperties(BaseModel):
    """The custom resource's properties, as template.yaml passes them."""

    model_config = ConfigDict(extra="ignore", frozen=True)

    model_id: str = Field(alias="ModelId", min_length=1)
    model_version: str = Field(alias="ModelVersion", default="*", min_length=1)
    instance_type: str = Field(alias="InstanceType", pattern=r"^ml\.[a-z0-9-]+\.[a-z0-9]+$")
    inference_code: Literal["zstc", "jumpstart"] = Field(alias="InferenceCode")
    artifacts_bucket: str = Field(alias="ArtifactsBucket", min_length=3)


class ModelSetup:
    """Create/Update/Delete of the setup resource, against S3 through ``s3`` (a botocore client)."""

    def __init__(self, s3: Any, region: str, code: InferenceCode) -> None:
        self._s3 = s3
        self._region = region
        self._code = code

    def handle(self, event: Mapping[str, Any]) -> ResourceResult:
        """Dispatch one CloudFormation request; raises with a clear message on any failure."""
        if event["RequestType"] == "Delete":
            return self.delete(str(event.get("PhysicalResourceId", "")), event.get("ResourceProperties", {}))
        try:
            properties = SetupProperties.model_validate(event.get("ResourceProperties", {}))
        except ValidationError as error:
            problem = error.errors()[0]
            raise ValueError(f"invalid property {problem['loc'][0]}: {problem['msg']}") from None
        return self.create(properties)

    def create(self, properties: SetupProperties) -> ResourceResult:
        """Resolve the model and stage its artifacts (idempotent: staged objects are reused)."""
        model = jumpstart.resolve(
            properties.model_id,
            properties.model_version,
            self._region,
            properties.instance_type,
            self._fetch_json,
        )
        env = _model_environment(model.environment)
        bucket = properties.artifacts_bucket
        zstc_code = properties.inference_code == "zstc"
        label = f"zstc-{code_digest(self._code)}" if zstc_code else "jumpstart"
        prefix = _prefix(model, label)
        submit_directory = model.script_url or ""
        model_data_url = model.model_data_url
        if zstc_code:
            submit_directory = f"s3://{bucket}/{prefix}{SOURCEDIR_TARBALL}"
            env.update(SAGEMAKER_PROGRAM=ENTRY_SCRIPT, SAGEMAKER_SUBMIT_DIRECTORY=CODE_MOUNT)
            with tempfile.TemporaryFile() as sourcedir:
                write_sourcedir(self._code, sourcedir)
                sourcedir.seek(0)
                self._s3.put_object(
                    Bucket=bucket,
                    Key=prefix + SOURCEDIR_TARBALL,
                    Body=sourcedir,
                    ContentType="application/gzip",
                )
                sourcedir.seek(0)  # the same tarball becomes the artifact's code/, no second download
                model_data_url = self._repacked(model.model_data_url, lambda: sourcedir, bucket, prefix)
        elif not model.prepacked:
            if model.script_url is None:
                raise jumpstart.JumpStartError(
                    f"malformed spec: model {model.model_id!r} has neither a prepacked artifact nor a script"
                )
            script_url = model.script_url
            model_data_url = self._repacked(
                model.model_data_url, lambda: self._get(script_url), bucket, prefix
            )
        logger.info(
            "model resolved",
            extra={
                "model_id": model.model_id,
                "version": model.version,
                "image": model.image_uri,
                "vendored": [package.name for package in self._code.vendored] if zstc_code else [],
            },
        )
        physical_id = f"s3://{bucket}/{prefix}"
        return ResourceResult(
            physical_id=physical_id,
            data={
                "ImageUri": model.image_uri,
                "ModelDataUrl": model_data_url,
                "SubmitDirectory": submit_directory,
                "ModelVersion": model.version,
                "JumpStartModelDataUrl": model.model_data_url,
                **env,
            },
        )

    def delete(self, physical_id: str, properties: Mapping[str, Any]) -> ResourceResult:
        """Remove the objects this resource staged under its prefix; anything else stays."""
        bucket = str(properties.get("ArtifactsBucket", ""))
        if bucket and physical_id.startswith(f"s3://{bucket}/models/"):
            prefix = physical_id.removeprefix(f"s3://{bucket}/")
            for name in (MODEL_TARBALL, SOURCEDIR_TARBALL):
                self._s3.delete_object(Bucket=bucket, Key=prefix + name)
            logger.info("staged artifacts deleted", extra={"prefix": prefix})
        return ResourceResult(physical_id=physical_id)

    def _fetch_json(self, bucket: str, key: str) -> Any:
        try:
            body = self._s3.get_object(Bucket=bucket, Key=key)["Body"].read()
        except ClientError as error:
            if error.response["Error"]["Code"] in {"NoSuchKey", "404", "NoSuchBucket"}:
                raise KeyError(key) from None
            raise
        try:
            return json.loads(body)
        except json.JSONDecodeError as error:
            raise jumpstart.JumpStartError(f"malformed JSON in s3://{bucket}/{key}: {error}") from None

    def _repacked(
        self, model_url: str, code_tarball: Callable[[], IO[bytes]], bucket: str, prefix: str
    ) -> str:
        """s3 URL of the model artifact with ``code_tarball``'s files as its code/ (built once)."""
        key = prefix + MODEL_TARBALL
        if head_object(self._s3, bucket, key) is not None:
            logger.info("repacked artifact already staged", extra={"key": key})
            return f"s3://{bucket}/{key}"
        if model_url.endswith("/"):
            raise jumpstart.JumpStartError(f"uncompressed model artifacts ({model_url}) are not supported")
        model_body = self._get(model_url)
        with MultipartWriter(self._s3, bucket, key, "application/gzip") as target:
            copied = repack(model_body, code_tarball(), cast(IO[bytes], target))
        logger.info("model artifact repacked", extra={"members": copied, "bytes": target.size})
        return f"s3://{bucket}/{key}"

    def _get(self, url: str) -> IO[bytes]:
        """The object's body as a stream (botocore's StreamingBody is a file tarfile can read)."""
        bucket, _, key = url.removeprefix("s3://").partition("/")
        try:
            return cast(IO[bytes], self._s3.get_object(Bucket=bucket, Key=key)["Body"])
        except ClientError as error:
            if error.response["Error"]["Code"] in {"NoSuchKey", "404", "NoSuchBucket"}:
                raise jumpstart.JumpStartError(f"model artifact {url} does not exist") from None
            raise


def _prefix(model: jumpstart.ResolvedModel, label: str) -> str:
    """One prefix per model, version, code and upstream artifact (all that changes the staged files)."""
    artifact = hashlib.sha256(model.model_data_url.encode()).hexdigest()[:12]
    return f"models/{model.model_id}/{model.version}/{label}-{artifact}/"


def _model_environment(spec_environment: Mapping[str, str]) -> dict[str, str]:
    unknown = sorted(set(spec_environment) - set(MODEL_ENVIRONMENT_DEFAULTS))
    if unknown:
        raise jumpstart.JumpStartError(
            "the spec sets environment variables template.yaml does not pass to the model: "
            f"{', '.join(unknown)}; add them to zstc_deploy.model_setup.MODEL_ENVIRONMENT_DEFAULTS "
            "and to ZstcModel's Environment"
        )
    return {**MODEL_ENVIRONMENT_DEFAULTS, **spec_environment}
