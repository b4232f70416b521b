"""Names and numbers the local stack shares with the emulated AWS account."""

from __future__ import annotations

ACCOUNT_ID = "123456789012"
"""moto's default account."""

REGION = "us-east-1"

LOCAL_ACCESS_KEY_ID = "local"
LOCAL_SECRET_ACCESS_KEY = "local"  # noqa: S105 - the emulator's dummy credentials
"""The credentials every part of the local stack signs with; the local S3 checks presigned URLs with them."""

SESSION_VARIABLES = ("AWS_PROFILE", "AWS_SESSION_TOKEN", "AWS_SECURITY_TOKEN")
"""Variables of the user's own AWS session that the local stack drops: botocore would pair a real
session token with the local credentials, send it to the emulator and put it in presigned URLs."""
