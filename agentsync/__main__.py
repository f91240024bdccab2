"""``python -m agentsync`` runs the CLI."""

from agentsync.cli import main

if __name__ == "__main__":
    raise SystemExit(main())
