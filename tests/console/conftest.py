"""Console page tests talk https: the test settings' public URL is https, so the cookies are Secure."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from registry.settings import Settings
from tests.conftest import ClientFactory


@pytest.fixture
def client(settings: Settings, client_for: ClientFactory) -> TestClient:
    """A browser on https (Secure cookies are sent back), requests in the test's rolled-back session."""
    return https(client_for(settings))


def https(client: TestClient) -> TestClient:
    """The same client, talking https."""
    client.base_url = client.base_url.copy_with(scheme="https")
    return client
