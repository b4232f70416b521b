"""``zstc_cli.options``: option groups put a dataclass's fields on a command and hand it one object."""

from __future__ import annotations

import inspect
from dataclasses import dataclass
from typing import Annotated, Any

import pytest
import typer

from zstc_cli.client.target import AuthMode
from zstc_cli.options import TargetOptions, option_group


@dataclass(frozen=True)
class Ports:
    api_port: Annotated[int, typer.Option(help="API port.")] = 3000
    aws_port: Annotated[int, typer.Option(help="AWS port.")] = 5000


def test_the_group_s_fields_become_options_and_arrive_as_one_object() -> None:
    seen: list[tuple[str, Ports]] = []

    @option_group("ports", Ports)
    def command(name: str, *, ports: Ports) -> None:
        seen.append((name, ports))

    assert list(inspect.signature(command).parameters) == ["name", "api_port", "aws_port"]
    call: Any = command  # the signature it has now is the one typer reads
    call("x", api_port=1, aws_port=2)
    assert seen == [("x", Ports(1, 2))]


def test_fields_left_out_keep_their_defaults() -> None:
    @option_group("ports", Ports, without=("aws_port",))
    def command(*, ports: Ports) -> Ports:
        return ports

    assert list(inspect.signature(command).parameters) == ["api_port"]
    call: Any = command
    assert call(api_port=1) == Ports(1, 5000)


def test_a_clash_with_the_command_s_own_parameter_is_refused_at_definition() -> None:
    def command(api_port: int, *, ports: Ports) -> None:
        return None

    with pytest.raises(TypeError, match="api_port"):
        option_group("ports", Ports)(command)


def test_a_command_s_target_options_win_over_the_root_s() -> None:
    root = TargetOptions(api_url="http://root", auth=AuthMode.NONE, retries=1)
    mine = TargetOptions(api_url="http://mine", region="eu-west-1")
    assert mine.over(root) == TargetOptions(
        api_url="http://mine", auth=AuthMode.NONE, region="eu-west-1", retries=1
    )
    assert mine.over(None) == mine
