"""The Jinja2 environment shared by every platform, and `render_config(device, vpn)`."""

from __future__ import annotations

import os
from functools import cache
from pathlib import Path
from typing import Any

import jinja2

from cgw.errors import RenderError
from cgw.model import Device, RenderedConfig, VpnConnection
from cgw.secrets import current_masker


def templates_root() -> Path:
    """`device_templates/`: $CGW_TEMPLATES_DIR, else the folder beside the `cgw` package."""
    override = os.environ.get("CGW_TEMPLATES_DIR")
    if override:
        return Path(override)
    return Path(__file__).resolve().parent.parent / "device_templates"


@cache
def template_environment(template_dir: str) -> jinja2.Environment:
    """A strict environment for one platform's folder: an undefined name is an error, not ''."""
    folder = templates_root() / template_dir
    if not folder.is_dir():
        raise RenderError(f"no template folder {folder}")
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(folder)),
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
        autoescape=False,
        auto_reload=False,  # templates don't change under a running cgw; skip a stat per render
    )
    return env


@cache
def _template(template_dir: str, name: str) -> jinja2.Template:
    return template_environment(template_dir).get_template(name)


def render_template(template_dir: str, name: str, **context: Any) -> str:
    """Render one template; Jinja2 failures become a RenderError naming the template."""
    try:
        return _template(template_dir, name).render(**context)
    except jinja2.TemplateError as exc:
        message = current_masker().mask(str(exc))
        raise RenderError(f"{template_dir}/{name}: {message}") from None


def render_config(device: Device, vpn: VpnConnection) -> RenderedConfig:
    """The configuration `device` needs to terminate both tunnels of `vpn`."""
    from cgw.platforms import get_platform

    return get_platform(device.platform).render(device, vpn)
