"""The Jinja2 environment every platform shares: strict, cached, installed or in a checkout."""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import Any

import jinja2

from cgw import resources
from cgw.errors import RenderError
from cgw.secrets import current_masker


def templates_root() -> Path:
    """`device_templates/`, installed or in a checkout (see `cgw.resources`)."""
    return resources.templates_root()


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
