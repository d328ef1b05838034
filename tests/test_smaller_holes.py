"""Issue 8 §6: secrets never echoed, trusted proxies only, one token string per print, links follow the port."""

from __future__ import annotations

import base64
import datetime as dt
import json
import subprocess
import traceback
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from pydantic import ValidationError
from sqlmodel import Session
from typer.testing import CliRunner

from api.app import create_app
from api.cli import app as cli
from api.cli import main
from certificates import signing
from certificates.tokens import Claims
from certificates.verification import Verdict, verify_offline
from registry.settings import InvalidSettings, Settings, get_settings
from tests.conftest import ClientFactory
from tests.factories import make_certificate

SECRET = "short-secret-value-XYZ"
ROOT = Path(__file__).resolve().parent.parent


class TestSecretsAreNeverEchoed:
    def test_a_refused_production_secret_is_named_not_shown(self, monkeypatch: pytest.MonkeyPatch) -> None:
        monkeypatch.setenv("REGISTRY_ENV", "production")
        monkeypatch.setenv("REGISTRY_SECRET_KEY", SECRET)
        get_settings.cache_clear()
        try:
            with pytest.raises(InvalidSettings) as refused:
                get_settings()
            shown = "".join(traceback.format_exception(refused.value))
            assert "REGISTRY_SECRET_KEY" in shown
            assert SECRET not in shown and "input_value" not in shown
        finally:
            get_settings.cache_clear()

    def test_the_command_line_says_why_without_the_value(
        self, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
    ) -> None:
        monkeypatch.setenv("REGISTRY_ENV", "production")
        monkeypatch.setenv("REGISTRY_SECRET_KEY", SECRET)
        monkeypatch.setattr("sys.argv", ["registry", "keys", "list"])
        get_settings.cache_clear()
        try:
            with pytest.raises(SystemExit) as exited:
                main()
        finally:
            get_settings.cache_clear()
        output = capsys.readouterr()
        assert exited.value.code == 1
        assert "REGISTRY_SECRET_KEY" in output.err and SECRET not in output.err + output.out

    def test_a_refused_password_is_not_echoed_by_users_create(self, committed_url: str) -> None:
        result = CliRunner().invoke(cli, ["users", "create", "--username", "Ｒoot\u202e", "--password", "shortpw"])
        assert result.exit_code == 1
        assert "username" in result.output and "password" in result.output
        assert "shortpw" not in result.output and "input_value" not in result.output

    def test_pydantic_itself_would_have_echoed_it(self) -> None:
        # Why get_settings filters: the raw error shows the input, secret included.
        with pytest.raises(ValidationError) as raw:
            Settings(env="production", secret_key=SECRET)  # type: ignore[arg-type]
        assert SECRET in str(raw.value)


class TestTrustedProxies:
    def _client(self, client_for: ClientFactory, settings: Settings, *, trusted: str, peer: str) -> TestClient:
        client = client_for(settings.model_copy(update={"lookup_rate_per_minute": 2, "forwarded_allow_ips": trusted}))
        return TestClient(client.app, client=(peer, 40000), raise_server_exceptions=False)

    def _statuses(self, client: TestClient) -> list[int]:
        return [
            client.post(
                "/api/v1/verify/lookup",
                json={"number": "X", "name": "张三"},
                headers={"X-Forwarded-For": f"203.0.113.{i}"},
            ).status_code
            for i in range(3)
        ]

    def test_by_default_a_forwarded_address_is_ignored(self, client_for: ClientFactory, settings: Settings) -> None:
        client = self._client(client_for, settings, trusted="", peer="127.0.0.1")
        assert self._statuses(client) == [404, 404, 429]  # one client, whatever it claims

    def test_a_listed_proxy_names_the_client(self, client_for: ClientFactory, settings: Settings) -> None:
        client = self._client(client_for, settings, trusted="127.0.0.1, 10.0.0.0/8", peer="127.0.0.1")
        assert self._statuses(client) == [404, 404, 404]  # three clients behind the proxy

    def test_an_unlisted_peer_cannot_spoof(self, client_for: ClientFactory, settings: Settings) -> None:
        client = self._client(client_for, settings, trusted="10.0.0.0/8", peer="192.0.2.7")
        assert self._statuses(client) == [404, 404, 429]

    @pytest.mark.parametrize("bad", ["localhost", "10.0.0.0/33", "1.2.3"])
    def test_a_malformed_proxy_list_is_refused(self, bad: str) -> None:
        with pytest.raises(ValidationError):
            Settings(forwarded_allow_ips=bad)

    def test_serve_leaves_proxy_headers_to_the_app(self, monkeypatch: pytest.MonkeyPatch, committed_url: str) -> None:
        seen: dict[str, Any] = {}
        monkeypatch.delenv("REGISTRY_PUBLIC_URL", raising=False)
        monkeypatch.setattr("uvicorn.run", lambda *args, **kwargs: seen.update(kwargs))
        result = CliRunner().invoke(cli, ["serve", "--port", "8101", "--no-migrate"])
        assert result.exit_code == 0, result.output
        assert seen["proxy_headers"] is False and seen["port"] == 8101


class TestLinksFollowThePort:
    def test_serve_defaults_the_public_url_to_the_served_port(
        self, monkeypatch: pytest.MonkeyPatch, committed_url: str
    ) -> None:
        monkeypatch.delenv("REGISTRY_PUBLIC_URL", raising=False)
        monkeypatch.setattr("uvicorn.run", lambda *args, **kwargs: None)
        result = CliRunner().invoke(cli, ["serve", "--port", "8101", "--no-migrate"])
        assert "http://127.0.0.1:8101/docs" in result.output
        assert get_settings().public_base == "http://127.0.0.1:8101"
        assert create_app(get_settings()).state.settings.public_base == "http://127.0.0.1:8101"

    def test_an_explicit_public_url_still_wins(self, monkeypatch: pytest.MonkeyPatch, committed_url: str) -> None:
        monkeypatch.setenv("REGISTRY_PUBLIC_URL", "https://registry.test")
        monkeypatch.setattr("uvicorn.run", lambda *args, **kwargs: None)
        result = CliRunner().invoke(cli, ["serve", "--port", "8101", "--no-migrate"])
        assert "public URL  https://registry.test" in result.output

    def test_make_run_exports_the_port_for_demo_and_serve(self) -> None:
        plan = subprocess.run(
            ["make", "-n", "run", "PORT=8101"], cwd=ROOT, capture_output=True, text=True, check=True
        ).stdout
        assert 'REGISTRY_PUBLIC_URL="${REGISTRY_PUBLIC_URL:-http://127.0.0.1:8101}"' in plan
        assert plan.index("REGISTRY_PUBLIC_URL") < plan.index("registry demo")


def _twin(token: str) -> str:
    """The same signature with s replaced by n − s: valid ECDSA, a different token string."""
    header, body, signature = token.split(".")
    raw = base64.urlsafe_b64decode(signature + "=" * (-len(signature) % 4))
    s = int.from_bytes(raw[32:], "big")
    twin = raw[:32] + (signing.P256_ORDER - s).to_bytes(32, "big")
    return f"{header}.{body}.{base64.urlsafe_b64encode(twin).rstrip(b'=').decode()}"


def _s(token: str) -> int:
    signature = token.split(".")[2]
    return int.from_bytes(base64.urlsafe_b64decode(signature + "=" * (-len(signature) % 4))[32:], "big")


class TestOneTokenStringPerPrint:
    CLAIMS = Claims(
        "Y000044000101263000001", "3", "6-18-02-04", "91440606D0000028X1", dt.date(2026, 11, 21), "王*华", "r" * 16, 1
    )

    def test_new_keys_sign_low_s_and_refuse_the_high_twin(self, tmp_path: Path) -> None:
        key = signing.generate_key(tmp_path, now=dt.datetime(2026, 11, 21, tzinfo=dt.UTC))
        assert key.low_s and signing.jwks_document(tmp_path)["keys"][0]["low_s"] is True
        signer = signing.load_signer(tmp_path)
        keys = {key.kid: key}
        for serial in range(1, 41):  # about half of raw ECDSA signatures have a high s
            token = signing.sign(signer, Claims(**{**self.CLAIMS.__dict__, "print_serial": serial}).encode())
            assert _s(token) <= signing.HALF_ORDER
            signing.verify(token, keys)
            with pytest.raises(signing.TokenRejected):
                signing.verify(_twin(token), keys)

    def test_offline_too_through_the_jwks(self, tmp_path: Path) -> None:
        signing.generate_key(tmp_path, now=dt.datetime(2026, 11, 21, tzinfo=dt.UTC))
        token = signing.sign(signing.load_signer(tmp_path), self.CLAIMS.encode())
        jwks = json.loads(json.dumps(signing.jwks_document(tmp_path)))
        assert verify_offline(token, jwks=jwks, revocations=None).verdict == Verdict.STATUS_UNKNOWN
        assert verify_offline(_twin(token), jwks=jwks, revocations=None).verdict == Verdict.INVALID

    def test_online_a_legacy_keys_twin_is_not_the_issued_token(
        self, client: TestClient, session: Session, settings: Settings
    ) -> None:
        certificate = make_certificate(session, settings)
        manifest = settings.key_dir / signing.MANIFEST
        entries = json.loads(manifest.read_text())
        for entry in entries["keys"]:
            entry.pop("low_s", None)  # a key made before low-s signing
        manifest.write_text(json.dumps(entries))
        assert client.get(f"/api/v1/verify/{certificate.token}").json()["verdict"] == "valid"
        twin = client.get(f"/api/v1/verify/{_twin(certificate.token)}").json()
        assert twin["verdict"] == "invalid"
        assert "not the one issued" in twin["checks"][-1]["en"]
