"""seba.server's safe defaults for Rasa's command line (nothing secret on it)."""

import pytest

from seba.server import secure_arguments


def test_run_listens_on_loopback_with_jwt_and_the_shops_origins(monkeypatch):
    monkeypatch.setenv("SEBA_ALLOWED_ORIGINS", "http://localhost:8080")
    monkeypatch.delenv("RASA_INTERFACE", raising=False)
    args = secure_arguments(["run", "--enable-api", "--port", "5005"])
    assert args[args.index("--interface") + 1] == "127.0.0.1"
    assert "--jwt-secret=test-jwt-secret-0123456789abcdef0123456789" in args
    assert args[args.index("--jwt-method") + 1] == "HS256"
    origins = args[args.index("--cors") + 1 :]
    assert "http://localhost:8080" in origins and "https://sebafashion.com.bd" in origins
    assert "*" not in origins


def test_a_secret_that_starts_with_a_dash_reaches_rasa(monkeypatch):
    # secrets.token_urlsafe starts with "-" once in 64: Rasa's argparse refused to start.
    from rasa.__main__ import create_argument_parser

    monkeypatch.setenv("RASA_JWT_SECRET", "-Ab3_secret-starting-with-a-dash-0123456789")
    parsed = create_argument_parser().parse_args(secure_arguments(["run", "--enable-api"]))
    assert parsed.jwt_secret == "-Ab3_secret-starting-with-a-dash-0123456789"


def test_given_options_are_kept(monkeypatch):
    args = secure_arguments(["run", "-i", "10.0.0.5", "--cors", "https://a.example"])
    assert args.count("--interface") == 0 and args.count("--cors") == 1
    assert not any(a.startswith("--jwt-secret") for a in args)  # no API, no secret


@pytest.mark.parametrize(
    "argv",
    [
        ["run", "--enable-api", "--auth-token", "t"],
        ["run", "--auth-token=t"],
        ["shell", "--auth-token", "t"],
    ],
)
def test_a_token_on_the_command_line_is_refused(argv):
    with pytest.raises(SystemExit, match="process list"):
        secure_arguments(argv)


def test_an_api_without_authentication_is_refused(monkeypatch, tmp_path):
    monkeypatch.delenv("RASA_JWT_SECRET")
    monkeypatch.setenv("SEBA_SECRETS_FILE", str(tmp_path / "none.env"))
    with pytest.raises(SystemExit, match="authentication"):
        secure_arguments(["run", "--enable-api"])


def test_other_commands_are_left_alone():
    assert secure_arguments(["train", "--fixed-model-name", "x"]) == [
        "train",
        "--fixed-model-name",
        "x",
    ]
