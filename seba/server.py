"""Rasa's command line with Seba's runtime changes (``seba.runtime``) and safe defaults.

Use it like the ``rasa`` command: ``python -m seba.server run --enable-api``. For ``run`` and
``shell`` it adds what is not given on the command line (the secrets in-process, so they never
show in the process list):

* ``--interface 127.0.0.1`` (``RASA_INTERFACE``): Rasa's port serves the public webhooks and
  the HTTP API alike, so it is reached from outside only through the reverse proxy, which
  forwards the public paths alone (SECURITY.md);
* with ``--enable-api``: ``--jwt-secret`` from ``RASA_JWT_SECRET`` (HS256 bearer tokens; see
  ``seba.secrets.rasa_api_headers``). ``--auth-token`` is refused: it puts the token in the
  process list and in URLs (``?token=``). An API without authentication is refused too;
* ``--cors`` with the shop's own origins (``seba.settings.allowed_origins``), never ``*``;
* phone numbers masked in every log line (``seba.logmask``).
"""

import os
import sys
from typing import List


def _given(args: List[str], *names: str) -> bool:
    return any(a in names or any(a.startswith(n + "=") for n in names) for a in args)


def secure_arguments(argv: List[str]) -> List[str]:
    """The command line with Seba's defaults added (see the module docstring)."""
    if not argv or argv[0] not in ("run", "shell"):
        return argv
    args = list(argv)
    if _given(args, "--auth-token"):
        raise SystemExit(
            "seba.server: --auth-token would show the token in the process list and in URLs; "
            "Rasa's HTTP API uses RASA_JWT_SECRET instead (var/secrets.env, `make secrets`)."
        )
    if not _given(args, "-i", "--interface"):
        args += ["--interface", os.environ.get("RASA_INTERFACE") or "127.0.0.1"]
    if "--enable-api" in args and not _given(args, "--jwt-secret"):
        from seba.secrets import MissingSecret, get

        try:
            # One word: a secret may start with "-" (token_urlsafe), which argparse would
            # take for an option and refuse to start on.
            args += [f"--jwt-secret={get('RASA_JWT_SECRET')}", "--jwt-method", "HS256"]
        except MissingSecret as error:
            raise SystemExit(
                f"seba.server: Rasa's HTTP API needs authentication: {error}"
            ) from None
    if not _given(args, "--cors"):
        from seba.settings import allowed_origins

        origins = allowed_origins()
        if origins:
            args += ["--cors", *origins]
    return args


def main() -> None:
    from seba.threads import one_blas_thread

    one_blas_thread()
    from seba import logmask
    from seba.runtime import install

    install()
    logmask.install()
    sys.argv[1:] = secure_arguments(sys.argv[1:])
    from rasa.__main__ import main as rasa_main

    rasa_main()


if __name__ == "__main__":
    main()
