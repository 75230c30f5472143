"""Rasa's command line with Seba's runtime changes (``seba.runtime``) installed.

Use it exactly like the ``rasa`` command: ``python -m seba.server run --enable-api``.
"""

from seba.runtime import install


def main() -> None:
    install()
    from rasa.__main__ import main as rasa_main

    rasa_main()


if __name__ == "__main__":
    main()
