"""`cgw lab`: the embedded lab (AWS emulator now; simulated and real routers as they land)."""

from __future__ import annotations

import click


@click.group("lab")
def command() -> None:
    """Run the lab: an AWS emulator (moto) seeded like the example inventory."""


@command.command("aws")
@click.option("--port", type=int, default=5000, show_default=True, help="Port on 127.0.0.1.")
def aws(port: int) -> int:
    """Run the lab AWS in the foreground until Ctrl-C; prints the endpoint to use."""
    from cgw.lab.aws_server import serve_forever

    serve_forever(port)
    return 0
