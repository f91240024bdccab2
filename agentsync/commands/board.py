"""``agentsync board``: the board drawn with rich (a column per status; stacked when the terminal
is too narrow for the columns), or ``--json`` for scripts."""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING, Any

from agentsync.commands._common import echo_json, load_config

if TYPE_CHECKING:
    from agentsync.board import Board, Card

MIN_COLUMN = 16  # narrower than this, the columns are stacked instead
MARKS = {"ahead": ("ahead", "yellow"), "behind": ("behind", "cyan"), "diverged": ("diverged", "magenta"),
         "conflict": ("CONFLICT", "bold red")}  # fmt: skip


def run(*, type_name: str | None, as_json: bool) -> int:
    from agentsync.board import board

    drawn = board(load_config(), type_name)
    if as_json:
        echo_json(drawn.to_json())
        return 0
    draw(drawn)
    return 0


def card_text(card: Card) -> Any:
    """A card: the id and its sync mark, the title, the lock holder."""
    from rich.text import Text

    from agentsync.terminal import visible

    text = Text(visible(card.id), style="bold")
    if card.sync in MARKS:
        word, style = MARKS[card.sync]
        text.append(f" {word}", style=style)
    text.append(f"\n{visible(card.title)}")
    if card.lock_holder is not None:
        text.append(f"\nlock: {visible(card.lock_holder)}" + (" (you)" if card.lock_mine else ""), style="green")
    return text


def draw(drawn: Board) -> None:
    from rich.console import Console, Group
    from rich.padding import Padding
    from rich.rule import Rule
    from rich.table import Table
    from rich.text import Text

    from agentsync.terminal import raw, visible

    tty = sys.stdout.isatty()
    console = Console(file=raw(sys.stdout) if tty else sys.stdout, highlight=False, soft_wrap=False)
    columns = drawn.columns
    if not any(column.cards for column in columns):
        console.print("no artifacts")
    elif len(columns) * MIN_COLUMN <= console.width:
        table = Table(expand=True, show_lines=False, padding=(0, 1))
        for column in columns:
            table.add_column(f"{visible(column.status)} ({len(column.cards)})", overflow="fold", ratio=1)
        tallest = max(len(column.cards) for column in columns)
        for index in range(tallest):
            cells = [card_text(c.cards[index]) if index < len(c.cards) else Text("") for c in columns]
            table.add_row(*cells, end_section=index < tallest - 1)
        console.print(table)
    else:  # too narrow for a column each: one section per status
        parts: list[Any] = []
        for column in columns:
            parts.append(Rule(f"{visible(column.status)} ({len(column.cards)})", align="left"))
            parts.extend(Padding(card_text(card), (0, 0, 0, 2)) for card in column.cards)
        console.print(Group(*parts))
    console.print(Text(footer(drawn), style="dim"), no_wrap=True, overflow="ellipsis")


def footer(drawn: Board) -> str:
    """Where the sync marks come from: the remote, or why its side is unknown."""
    if drawn.remote is None:
        return "no remote configured: no locks, no sync marks"
    from agentsync.terminal import visible

    if drawn.remote_error:
        return f"remote {visible(drawn.remote)}: unreachable, locks unknown ({visible(drawn.remote_error)[:120]})"
    return f"remote {visible(drawn.remote)}"
