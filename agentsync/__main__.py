"""``python -m agentsync`` runs the CLI."""

from agentsync.cli import run

if __name__ == "__main__":
    run()
