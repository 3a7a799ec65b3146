"""Entry point of the `sector` command."""

from __future__ import annotations


def main() -> None:
    from sector_cli.cli.app import app

    app()


if __name__ == "__main__":
    main()
