#!/usr/bin/env python3
"""Benchmark the git hooks on a generated repository (not part of the test run).

    python tests/bench/bench_hooks.py [--count 10000] [--runs 11] [--keep DIR] [--editable]

Builds a repository with ../shared/bench/gen_corpus.py --git, clones it twice (hooks
installed in one, not in the other) and prints median whole-process timings for
`git commit` of one changed artifact with and without the hooks, the time the hooks
add, `agentsync check --staged` on 5 staged files, and the modules the hook path imports.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
GEN_CORPUS = ROOT.parent / "shared" / "bench" / "gen_corpus.py"
TARGETS = {"post-commit hook adds to a one-artifact commit": 0.150, "check --staged on 5 files (process)": 0.200}
HEAVY = ("supabase", "psycopg", "postgrest", "httpx", "rich", "watchdog", "multiprocessing", "click")


def environment() -> dict[str, str]:
    leaking = ("AGENTSYNC_SKIP", "AGENTSYNC_HOOK_WAIT")  # the hooks run as a user's do
    env = {k: v for k, v in os.environ.items() if not k.startswith("GIT_") and k not in leaking}
    identity = {"NAME": "Bench", "EMAIL": "bench@example.com"}
    env.update({f"GIT_{who}_{key}": value for who in ("AUTHOR", "COMMITTER") for key, value in identity.items()})
    env.update(GIT_CONFIG_NOSYSTEM="1", GIT_CONFIG_GLOBAL=os.devnull)
    return env


def git(repo: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(["git", *args], cwd=repo, env=environment(), capture_output=True, text=True, check=True)


def agentsync(repo: Path, *args: str, python: str = sys.executable) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [python, "-m", "agentsync", "-C", str(repo), *args], capture_output=True, text=True, env=environment()
    )


def record(name: str, value: float) -> None:
    target = TARGETS.get(name)
    verdict = "" if target is None else f"  (target <= {target * 1000:.0f} ms: {'ok' if value <= target else 'MISSED'})"
    print(f"{name:48s} {value * 1000:8.1f} ms{verdict}", flush=True)


def regular_install(work: Path) -> str:
    """A venv with this checkout installed from a wheel (no editable finder); dependencies come
    from this interpreter's site-packages through a .pth line, so nothing is downloaded."""
    import sysconfig

    venv = work / "regular-venv"
    python = venv / "bin" / "python"
    if not python.exists():
        subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True)
    site = subprocess.run([str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
                          capture_output=True, text=True, check=True).stdout.strip()  # fmt: skip
    wheels = work / "wheel"
    shutil.rmtree(wheels, ignore_errors=True)  # always this checkout as it is now
    subprocess.run([sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", "-w", str(wheels), str(ROOT)], check=True)
    for old in Path(site).glob("agentsync*"):
        shutil.rmtree(old) if old.is_dir() else old.unlink()
    wheel = next(wheels.glob("agentsync-*.whl"))
    subprocess.run(
        [sys.executable, "-m", "pip", "install", "-q", "--no-deps", "--target", site, str(wheel)], check=True
    )
    Path(site, "bench-dependencies.pth").write_text(sysconfig.get_paths()["purelib"] + "\n", encoding="utf-8")
    return str(python)


def commit_times(repo: Path, files: list[Path], runs: int, label: str) -> list[float]:
    times = []
    for run in range(runs):
        path = files[run % len(files)]
        with open(path, "a", encoding="utf-8") as handle:
            handle.write(f"\n{label} edit {run}.\n")
        git(repo, "add", str(path.relative_to(repo)))
        start = time.perf_counter()
        git(repo, "commit", "-q", "-m", f"{label} {run}")
        times.append(time.perf_counter() - start)
    return times


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=10_000)
    parser.add_argument("--runs", type=int, default=11)
    parser.add_argument("--keep", type=Path, help="build the repositories here and keep them")
    parser.add_argument(
        "--editable", action="store_true",
        help="run the hooks with this checkout's own (editable) install instead of a regular install of it "
        "as users have one; the editable import finder adds ~15 ms to every start",
    )  # fmt: skip
    options = parser.parse_args()
    if not GEN_CORPUS.exists():
        print(f"missing {GEN_CORPUS}", file=sys.stderr)
        return 1
    work = options.keep or Path(tempfile.mkdtemp(prefix="agentsync-bench-hooks-"))
    work.mkdir(parents=True, exist_ok=True)
    source = work / "source"
    if not source.exists():
        subprocess.run([sys.executable, str(GEN_CORPUS), str(source), "--count", str(options.count), "--git"],
                       check=True, env=environment())  # fmt: skip
    plain, post_commit_only, hooked = work / "plain", work / "post-commit-only", work / "hooked"
    for clone in (plain, post_commit_only, hooked):
        if not clone.exists():
            subprocess.run(["git", "clone", "-q", str(source), str(clone)], check=True, env=environment())
        init = agentsync(clone, "init")
        assert init.returncode == 0, init.stderr
        git(clone, "add", "agentsync.yaml")
        git(clone, "commit", "-q", "-m", "agentsync config")
    sys.path.insert(0, str(ROOT))
    from agentsync import hooks

    python = sys.executable if options.editable else regular_install(work)
    print(f"hooks run {python} ({'this checkout, editable' if options.editable else 'a regular install'})")
    hooks.install(hooked, python=python)
    hooks.install(post_commit_only, ("post-commit",), python=python)
    for clone in (post_commit_only, hooked):
        status = agentsync(clone, "status")  # builds HEAD's git-field values once, as the first hook would
        assert status.returncode == 0, status.stderr
    files = sorted(p for p in (hooked / "stories").rglob("*.md"))[:50] or sorted(hooked.rglob("*.md"))[:50]
    print(f"repository: {len(list(hooked.rglob('*.md')))} artifacts under {work}")
    print(f"python {sys.version.split()[0]}, {os.cpu_count()} cores, median of {options.runs} runs\n")

    def same(clone: Path) -> list[Path]:
        return [clone / p.relative_to(hooked) for p in files]

    without = statistics.median(commit_times(plain, same(plain), options.runs, "plain"))
    post_only = statistics.median(commit_times(post_commit_only, same(post_commit_only), options.runs, "post"))
    with_hooks = statistics.median(commit_times(hooked, files, options.runs, "hooked"))
    record("git commit, one artifact, no hooks", without)
    record("git commit, one artifact, post-commit hook only", post_only)
    record("git commit, one artifact, all hooks installed", with_hooks)
    record("post-commit hook adds to a one-artifact commit", post_only - without)
    record("all hooks (check + mirror) add to the commit", with_hooks - without)

    # The post-commit hook alone, as git runs it.
    hook = hooked / ".git" / "hooks" / "post-commit"
    times = []
    for _ in range(options.runs):
        start = time.perf_counter()
        subprocess.run([str(hook)], cwd=hooked, env=environment(), check=True)
        times.append(time.perf_counter() - start)
    record("post-commit hook alone (process)", statistics.median(times))

    staged = files[-5:]
    for path in staged:
        with open(path, "a", encoding="utf-8") as handle:
            handle.write("\nStaged for the check.\n")
        git(hooked, "add", str(path.relative_to(hooked)))
    times = []
    for _ in range(options.runs):
        start = time.perf_counter()
        result = agentsync(hooked, "check", "--staged", python=python)  # as the hooks run it
        times.append(time.perf_counter() - start)
        assert result.returncode == 0 and "checked 5 artifact files" in result.stdout, result.stdout + result.stderr
    record("check --staged on 5 files (process)", statistics.median(times))
    times = []
    for _ in range(options.runs):
        start = time.perf_counter()
        subprocess.run([str(hooked / ".git" / "hooks" / "pre-commit")], cwd=hooked, env=environment(), check=True)
        times.append(time.perf_counter() - start)
    record("pre-commit hook on 5 staged files (process)", statistics.median(times))
    git(hooked, "reset", "-q", "--hard")

    probe = (
        "import sys; from agentsync import hookrun; rc = hookrun.run('post-commit', []); "
        f"print(sorted(m for m in sys.modules if m.split('.')[0] in {HEAVY!r}))"
    )
    imported = subprocess.run(
        [sys.executable, "-c", probe], cwd=hooked, capture_output=True, text=True, env=environment()
    )
    print(f"\nheavy modules the post-commit hook imported: {imported.stdout.strip() or imported.stderr.strip()}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
