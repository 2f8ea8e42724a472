"""The embedded lab: an AWS emulator (moto, extended) and simulated routers, for `cgw demo`.

The AWS side is imported lazily so that importing a router simulator never pulls in moto.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from cgw.lab.aws_server import (
        LabAws,
        post_lab_hook,
        run_lab_aws,
        serve_forever,
        set_psk_arn,
        set_tunnel_status,
        set_xml_reversed,
    )

__all__ = [
    "LabAws",
    "post_lab_hook",
    "run_lab_aws",
    "serve_forever",
    "set_psk_arn",
    "set_tunnel_status",
    "set_xml_reversed",
]


def __getattr__(name: str) -> Any:
    if name in __all__:
        from cgw.lab import aws_server

        return getattr(aws_server, name)
    raise AttributeError(f"module 'cgw.lab' has no attribute {name!r}")
