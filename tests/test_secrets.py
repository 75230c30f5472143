"""The installation's secrets file (seba/secrets.py) and the bearer tokens for Rasa's API."""

import os
import stat

import jwt
import pytest

from seba import secrets


def mode(path) -> int:
    return stat.S_IMODE(os.stat(path).st_mode)


def test_the_file_is_created_0600_with_every_secret(tmp_path, monkeypatch):
    monkeypatch.setenv("SEBA_SECRETS_FILE", str(tmp_path / "var" / "secrets.env"))
    os.umask(0o022)  # a default umask must not leak the file
    path = secrets.ensure()
    assert mode(path) == 0o600
    values = dict(line.split("=", 1) for line in path.read_text().splitlines())
    assert set(values) == set(secrets.NAMES)
    assert all(len(v) >= 40 for v in values.values())  # 32 random bytes each
    assert len(set(values.values())) == len(values)
    secrets.ensure()  # a second run changes nothing
    assert dict(line.split("=", 1) for line in path.read_text().splitlines()) == values


def test_an_old_open_file_is_tightened_and_completed(tmp_path, monkeypatch):
    path = tmp_path / "secrets.env"
    path.write_text("RASA_AUTH_TOKEN=old\n")
    path.chmod(0o644)
    monkeypatch.setenv("SEBA_SECRETS_FILE", str(path))
    secrets.ensure()
    assert mode(path) == 0o600
    text = path.read_text()
    assert "RASA_AUTH_TOKEN=old" in text and all(f"{n}=" in text for n in secrets.NAMES)


def test_the_environment_wins_and_a_missing_secret_is_an_error(tmp_path, monkeypatch):
    monkeypatch.setenv("SEBA_SECRETS_FILE", str(tmp_path / "none.env"))
    monkeypatch.setenv("SEBA_ACTION_SECRET", "from-env")
    assert secrets.get("SEBA_ACTION_SECRET") == "from-env"
    monkeypatch.delenv("SEBA_SECRET_KEY")
    with pytest.raises(secrets.MissingSecret):
        secrets.get("SEBA_SECRET_KEY")


def test_api_tokens_are_short_lived_admin_tokens():
    token = secrets.rasa_api_token()
    claims = jwt.decode(token, os.environ["RASA_JWT_SECRET"], algorithms=["HS256"])
    assert claims["user"] == {"username": "seba", "role": "admin"}
    assert 0 < claims["exp"] - claims["iat"] <= 300
    with pytest.raises(jwt.InvalidSignatureError):
        jwt.decode(token, "another secret", algorithms=["HS256"])
    assert secrets.derived_key("phone") != secrets.derived_key("web-session")
