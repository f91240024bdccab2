"""Regenerate the output blocks of ``docs/conflicts.md`` by running the walk-through for real.

Two clones of one Git repository share a fresh embedded ``local`` remote (in a temporary folder,
stopped at the end), and every command the page shows is run in order; each block between
``<!-- capture: NAME -->`` and ``<!-- /capture -->`` is replaced with the commands of step NAME
and what they printed. The prose around the blocks is left as it is.

    .venv/bin/python docs/capture_conflicts.py          # rewrites docs/conflicts.md
    .venv/bin/python docs/capture_conflicts.py --check  # exit 1 if a step is missing from the page

The temporary folder is shown as ``~/demo`` (and the project named after its path as if it were
``/home/you/demo``); nothing else in the output is changed.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import tempfile
from pathlib import Path

PAGE = Path(__file__).with_name("conflicts.md")
STORY = "stories/STORY-0001-export-the-weekly-report.md"
BLOCK = re.compile(r"(<!-- capture: (?P<name>[a-z-]+) -->\n)(?P<body>.*?)(<!-- /capture -->)", re.S)

# step name -> (clone, command) in the order they run; "" is the folder holding both clones
STEPS: dict[str, list[tuple[str, str]]] = {
    "setup": [
        ("", "git init -q --bare origin.git && git clone -q origin.git alice 2>/dev/null"),
        ("alice", "git config user.name Ada && git config user.email ada@example.com"),
        ("alice", "agentsync init"),
        ("alice", 'agentsync new story "Export the weekly report"'),
        ("alice", "agentsync push"),
        ("alice", "git add -A && git commit -q -m 'Add STORY-0001' && git push -q origin HEAD"),
        ("", "git clone -q origin.git bob"),
        ("bob", "git config user.name Bob && git config user.email bob@example.com"),
        ("bob", "agentsync init"),
        ("bob", "agentsync hooks install"),
        ("bob", "agentsync pull"),
    ],
    "edits": [
        ("alice", f"sed -i 's/^title: .*/title: Export the weekly report as CSV/' {STORY}"),
        ("alice", "agentsync push"),
        ("bob", f"sed -i 's/^title: .*/title: Export the weekly report as PDF/' {STORY}"),
    ],
    "pull": [
        ("bob", "agentsync pull"),
        ("bob", f"head -n 12 {STORY}"),
    ],
    "inspect": [
        ("bob", "agentsync conflicts"),
        ("bob", "agentsync diff STORY-0001"),
        ("bob", "agentsync status"),
    ],
    "blocked": [
        ("bob", "agentsync check"),
        ("bob", "git commit -q -am 'Retitle STORY-0001'"),
    ],
    "resolve": [
        ("bob", f"sed -i '/^<<<<<<< /,/^>>>>>>> /c\\title: Export the weekly report as CSV and PDF' {STORY}"),
        ("bob", "agentsync resolve STORY-0001 --merged"),
        ("bob", f"head -n 8 {STORY}"),
        ("bob", "agentsync conflicts"),
        ("bob", "agentsync push"),
    ],
    "after": [
        ("alice", "agentsync pull"),
        ("alice", "agentsync log STORY-0001"),
    ],
}


def _environment(work: Path) -> dict[str, str]:
    """A clean, repeatable environment: its own Git config, its own local remote, no colours."""
    git_config = work / "gitconfig"
    git_config.write_text("[init]\n\tdefaultBranch = main\n[advice]\n\tdetachedHead = false\n")
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AGENTSYNC_", "GIT_", "SUPABASE_", "PG"))}
    env.update(
        PATH=f"{Path(sys.executable).parent}{os.pathsep}{env.get('PATH', '')}",
        GIT_CONFIG_GLOBAL=str(git_config),
        GIT_CONFIG_NOSYSTEM="1",
        AGENTSYNC_LOCAL_REMOTE=str(work / "postgres"),
        NO_COLOR="1",
        TERM="dumb",
        COLUMNS="150",
        EDITOR="true",
    )
    return env


def _run_step(work: Path, env: dict[str, str], steps: list[tuple[str, str]]) -> str:
    """The console text of one step: each command after its prompt, its output, and a non-zero exit."""
    from agentsync.initialize import project_from_origin

    project = project_from_origin(str(work / "demo" / "origin.git"))
    shown_project = project_from_origin("/home/you/demo/origin.git")
    lines: list[str] = []
    for clone, command in steps:
        cwd = work / "demo" / clone
        done = subprocess.run(command, shell=True, cwd=cwd, env=env, capture_output=True, text=True, check=False)
        lines.append(f"{clone or 'demo'}$ {command}")
        output = (done.stdout + done.stderr).rstrip("\n")
        if output:
            lines.append(output.replace(str(work / "demo"), "~/demo").replace(project, shown_project))
        if done.returncode:
            lines.append(f"[exit {done.returncode}]")
    return "```console\n" + "\n".join(lines) + "\n```\n"


def _stop_server(folder: Path) -> None:
    """Stop the embedded PostgreSQL this run started (agentsync leaves it running on purpose)."""
    if not (folder / "postmaster.pid").exists():
        return
    import pgserver

    pgserver.get_server(folder, cleanup_mode="stop").cleanup()  # type: ignore[attr-defined,unused-ignore]


def capture() -> dict[str, str]:
    """Run every step in a fresh temporary folder; return each step's console block."""
    with tempfile.TemporaryDirectory(prefix="agentsync-docs-") as tmp:
        work = Path(tmp)
        (work / "demo").mkdir()
        env = _environment(work)
        try:
            return {name: _run_step(work, env, steps) for name, steps in STEPS.items()}
        finally:
            _stop_server(work / "postgres")


def missing_steps(page: str) -> list[str]:
    """Steps the page has no block for (each must appear exactly once)."""
    found = [match["name"] for match in BLOCK.finditer(page)]
    return [name for name in STEPS if found.count(name) != 1]


def main(argv: list[str]) -> int:
    page = PAGE.read_text(encoding="utf-8")
    missing = missing_steps(page)
    if missing:
        print(f"{PAGE}: no single block for step(s): {', '.join(missing)}", file=sys.stderr)
        return 1
    if "--check" in argv:
        return 0
    blocks = capture()
    PAGE.write_text(BLOCK.sub(lambda m: m[1] + blocks[m["name"]] + m[4], page), encoding="utf-8")
    print(f"rewrote {len(blocks)} output blocks in {PAGE}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
