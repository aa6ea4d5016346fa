from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.live.deployment import Deployment, deployment


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def served(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Deployment]:
    """One server per database kind, shared by a module's tests; each test registers a
    coach of its own, so tests share nothing but the process."""
    with deployment(request.param, tmp_path_factory.mktemp("live")) as running:
        yield running
