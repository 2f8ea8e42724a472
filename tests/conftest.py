"""Shared pytest fixtures."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from cgw.lab.aws_server import LabAws

# Variables that could point boto3 at a real account or another endpoint.
_AWS_ENV_TO_CLEAR = (
    "AWS_PROFILE",
    "AWS_DEFAULT_PROFILE",
    "AWS_SESSION_TOKEN",
    "AWS_SECURITY_TOKEN",
    "AWS_REGION",
    "AWS_ENDPOINT_URL_EC2",
    "AWS_ENDPOINT_URL_SECRETS_MANAGER",
    "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI",
    "AWS_CONTAINER_CREDENTIALS_FULL_URI",
    "AWS_WEB_IDENTITY_TOKEN_FILE",
    "AWS_ROLE_ARN",
)


@pytest.fixture(scope="session")
def lab_aws(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LabAws]:
    """The lab AWS (moto server on a free 127.0.0.1 port), seeded, with boto3's env pointed at it.

    Yields a LabAws: `.endpoint`, `.vpn_ids` (seeded VPN ids by Name tag), `.throttle`, `.env`.
    """
    pytest.importorskip("moto")
    from cgw.lab.aws_server import run_lab_aws

    empty = tmp_path_factory.mktemp("aws-config") / "empty"
    empty.write_text("")
    with pytest.MonkeyPatch.context() as env:
        for name in _AWS_ENV_TO_CLEAR:
            env.delenv(name, raising=False)
        env.setenv("AWS_CONFIG_FILE", str(empty))
        env.setenv("AWS_SHARED_CREDENTIALS_FILE", str(empty))
        env.setenv("AWS_EC2_METADATA_DISABLED", "true")
        lab = run_lab_aws()
        try:
            for name, value in lab.env.items():
                env.setenv(name, value)
            yield lab
        finally:
            lab.stop()


@pytest.fixture(autouse=True)
def restore_logging() -> Iterator[None]:
    """A test that runs `main()` in-process configures logging for the process (root handlers,
    library levels); put it back so the tests that follow see the loggers as they were."""
    root = logging.getLogger()
    handlers, level = root.handlers[:], root.level
    levels = {
        name: logger.level
        for name, logger in logging.Logger.manager.loggerDict.items()
        if isinstance(logger, logging.Logger)
    }
    yield
    root.handlers[:] = handlers
    root.setLevel(level)
    for name, logger in logging.Logger.manager.loggerDict.items():
        if isinstance(logger, logging.Logger):
            logger.setLevel(levels.get(name, logging.NOTSET))
