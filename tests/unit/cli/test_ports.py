"""The local stack's ports as the ``zstc`` command gives them."""

from __future__ import annotations

from zstc_cli.ports import DEFAULT_PORTS, nondefault_port_flags


def test_default_ports_need_no_flags() -> None:
    assert nondefault_port_flags(dict(DEFAULT_PORTS)) == ""


def test_each_moved_port_is_repeated_as_its_flag_in_order() -> None:
    ports = {**DEFAULT_PORTS, "api": 4520, "lambda": 4523}
    assert nondefault_port_flags(ports) == "--api-port 4520 --lambda-port 4523"
