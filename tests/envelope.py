"""Every `--json` output a test reads goes through here: it must validate against the schema."""

from __future__ import annotations

import json
from functools import cache
from importlib import resources
from typing import Any

import jsonschema


@cache
def envelope_schema() -> dict[str, Any]:
    """The JSON Schema shipped in the package (cgw/schema/envelope.schema.json)."""
    text = resources.files("cgw").joinpath("schema/envelope.schema.json").read_text("utf-8")
    schema: dict[str, Any] = json.loads(text)
    jsonschema.Draft202012Validator.check_schema(schema)
    return schema


def parse_envelope(stdout: str) -> dict[str, Any]:
    """The envelope a command printed, validated; raises when it breaks the contract."""
    data: dict[str, Any] = json.loads(stdout)
    jsonschema.validate(data, envelope_schema(), cls=jsonschema.Draft202012Validator)
    return data


def data_of(stdout: str) -> list[Any]:
    """The `data` of every result, in order."""
    return [item["data"] for item in parse_envelope(stdout)["results"]]
