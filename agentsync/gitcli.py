"""Reading Git through its plumbing commands, for hooks.

A hook runs on every commit, merge and checkout, so its cost is mostly start-up. pygit2
takes about 60 ms to import here, more than a hook's whole work; one ``git diff-tree``
takes a few. ``GitCommandLine`` implements ``GitReader`` with plumbing whose output
formats are stable (``-z``, raw diffs, ``ls-files --stage``); commands use ``GitRepo``.
The tests run both against the same repositories and require the same answers.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING

from agentsync.errors import GitError, GitNotInstalled, NoGitRepository
from agentsync.gitrepo import clean_environment, index_file_override

if TYPE_CHECKING:
    import subprocess  # imported where a command runs: a status needs none (EarlyHead)

_NO_COMMIT = "0" * 40


def _first_parent(commit: str) -> str:
    """The revision of ``commit``'s first parent: the key ``head_commit`` fills and ``parent_of`` reads."""
    return f"{commit}^1"


class GitCommandLine:
    """``GitReader`` over ``git`` subprocesses, run in the agentsync root with ``--relative`` paths."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self._env = clean_environment()
        self._resolved: dict[str, str | None] = {}
        self._staged_blobs: dict[str, str | None] = {}  # path -> staged blob (None: deleted), from staged_paths
        self._branch: tuple[str | None] | None = None  # (branch,) once the early answer gave it
        self._early: EarlyHead | None = None

    def ask_head_early(self) -> None:
        """Start asking Git for HEAD and the branch now, in one process, so that it runs while the
        caller works (status scans the mirror meanwhile); ``head_commit`` and ``branch`` take its answer."""
        self._early = EarlyHead.start(self.root, self._env)

    def _take_early(self) -> None:
        early, self._early = self._early, None
        answer = None if early is None else early.answer()
        if answer is not None:
            self._resolved["HEAD"], self._branch = answer[0], (answer[1],)

    def close(self) -> None:
        """Reap the early Git process (``ask_head_early``) should its answer not have been taken: an
        error on the way must not leave a zombie and an open pipe in a long-lived process."""
        self._take_early()

    def _run(
        self, *args: str, input: bytes | None = None, env: dict[str, str] | None = None
    ) -> subprocess.CompletedProcess[bytes]:
        import subprocess

        try:
            done = subprocess.run(
                ["git", *args], cwd=self.root, env=env or self._env, input=input, capture_output=True, check=False
            )
        except FileNotFoundError as exc:
            raise GitNotInstalled("git is not installed or not on PATH") from exc
        if done.returncode == 128 and b"not a git repository" in done.stderr:
            raise NoGitRepository(f"{self.root} is not inside a git work tree")
        return done

    def _git(
        self, *args: str, check: bool = True, input: bytes | None = None, env: dict[str, str] | None = None
    ) -> bytes:
        done = self._run(*args, input=input, env=env)
        if check and done.returncode != 0:
            message = done.stderr.decode("utf-8", "replace").strip()
            raise GitError(f"git {' '.join(args[:2])} failed: {message or done.returncode}")
        return done.stdout

    def head_commit(self) -> str | None:
        """HEAD's commit; its first parent is looked up in the same call (a post-commit hook asks next)."""
        self._take_early()
        if "HEAD" not in self._resolved:
            out = self._git("rev-list", "--parents", "-n", "1", "--end-of-options", "HEAD", "--", check=False).split()
            if not out:
                self._unborn_head()
            head = out[0].decode() if out else None
            self._resolved["HEAD"] = head
            if head is not None:
                self._resolved[_first_parent(head)] = out[1].decode() if len(out) > 1 else None
        return self._resolved["HEAD"]

    def _unborn_head(self) -> None:
        """Return if HEAD names a branch with no commit yet (``rev-parse -q`` fails silently); raise
        GitError if Git cannot read HEAD at all (a repository another user owns, a broken ref): that
        is no empty history to act on."""
        done = self._run("rev-parse", "-q", "--verify", "HEAD")
        if done.returncode == 1 and not done.stderr.strip():
            return
        message = " ".join(done.stderr.decode("utf-8", "replace").split()) or f"exit {done.returncode}"
        raise GitError(f"git cannot read HEAD in {self.root}: {message}")

    def resolve(self, revision: str) -> str | None:
        if not revision or set(revision) == {"0"}:
            return None
        if revision not in self._resolved:  # a hook asks about HEAD more than once; it does not move meanwhile
            out = self._git("rev-parse", "-q", "--verify", "--end-of-options", f"{revision}^{{commit}}", check=False)
            self._resolved[revision] = out.decode().strip() or None
        return self._resolved[revision]

    def branch(self) -> str | None:
        """The checked-out branch's short name; None when HEAD is detached."""
        self._take_early()
        if self._branch is not None:
            return self._branch[0]
        return self._git("symbolic-ref", "-q", "--short", "HEAD", check=False).decode().strip() or None

    def parent_of(self, commit: str) -> str | None:
        return self.resolve(_first_parent(commit))

    def changed_blobs(self, old: str | None, new: str | None) -> dict[str, str | None]:
        if old is None and new is None:
            return {}
        if new is None:
            args = ["ls-tree", "-r", "-z", "--full-name", str(old), "."]
            return {path: None for path, _oid in _ls_tree_entries(self._git(*args), self._prefix())}
        sides = [new] if old is None else [old, new]
        raw = self._git("diff-tree", "-r", "-z", "--no-renames", "--relative", *(["--root"] if old is None else []),
                        "--no-commit-id", *sides)  # fmt: skip
        changed: dict[str, str | None] = {}
        fields = raw.split(b"\0")
        for i in range(0, len(fields) - 1, 2):
            header, path = fields[i].decode(), fields[i + 1].decode("utf-8", "surrogateescape")
            if not header.startswith(":"):
                continue
            _old_mode, new_mode, _old_oid, new_oid, status = header[1:].split(" ")
            if status.startswith("D") or new_oid == _NO_COMMIT:
                changed.setdefault(path, None)
            elif new_mode.startswith("100") or new_mode == "120000":
                changed[path] = new_oid
            else:
                changed.setdefault(path, None)
        return changed

    def _prefix(self) -> str:
        return self._git("rev-parse", "--show-prefix").decode().strip()

    def read_blob(self, oid: str) -> bytes:
        return self._git("cat-file", "blob", oid)

    def blobs_under(self, commit: str | None, folders: Iterable[str]) -> Iterator[tuple[str, str]]:
        if commit is None:
            return
        specs = sorted({f.rstrip("/") or "." for f in folders})
        yield from _ls_tree_entries(
            self._git("ls-tree", "-r", "-z", "--full-name", commit, "--", *specs), self._prefix()
        )

    def _index_env(self) -> dict[str, str]:
        override = index_file_override()
        return self._env if override is None else {**self._env, "GIT_INDEX_FILE": str(override)}

    def staged_paths(self) -> list[str]:
        """Paths whose staged content differs from HEAD; their staged blob ids are kept for
        ``staged_reader`` (the pre-commit check then reads them without asking ``ls-files``)."""
        env = self._index_env()
        args = ("diff-index", "--cached", "--raw", "-z", "--relative", "--no-renames", "HEAD", "--")
        try:
            raw = self._git(*args, env=env)
        except GitError:  # no commit yet (one call less for every commit that has a parent)
            if self.head_commit() is not None:
                raise
            raw = self._git("ls-files", "-z", "--cached", env=env)
            return sorted(p.decode("utf-8", "surrogateescape") for p in raw.split(b"\0") if p)
        fields = raw.split(b"\0")
        for meta, name in zip(fields[0::2], fields[1::2], strict=False):
            path, parts = name.decode("utf-8", "surrogateescape"), meta.split()
            if len(parts) == 5 and parts[4] == b"D":
                self._staged_blobs[path] = None
            elif len(parts) == 5 and parts[3].strip(b"0"):  # an intent-to-add entry has no blob yet
                self._staged_blobs[path] = parts[3].decode()
        return sorted(name.decode("utf-8", "surrogateescape") for name in fields[1::2] if name)

    def indexed(self, paths: Iterable[str]) -> set[str]:
        """Those of ``paths`` (relative to the root) that Git's index has an entry for."""
        env = {**self._index_env(), "GIT_LITERAL_PATHSPECS": "1"}
        wanted, found = sorted(set(paths)), set[str]()
        for start in range(0, len(wanted), 1000):  # keep the command line short
            raw = self._git("ls-files", "-z", "--cached", "--", *wanted[start : start + 1000], env=env)
            found.update(name.decode("utf-8", "surrogateescape") for name in raw.split(b"\0") if name)
        return found

    def stashed(self, paths: Iterable[str]) -> set[str]:
        """Those of ``paths`` (relative to the root) that a ``git stash`` entry changed (against the
        commit it was made on) or keeps untracked (``stash -u``)."""
        wanted = set(paths)
        if not wanted:
            return set()
        # each entry against the commit it was made on; a move's old path is a change too (--no-renames)
        args = ("log", "-g", "--first-parent", "-m", "--name-only", "--no-renames", "--relative", "-z")
        done = self._run(*args, "--format=%x01%P", "refs/stash")
        if done.returncode != 0:  # no stash
            return set()
        found, untracked = set[str](), []
        for record in done.stdout.split(b"\1")[1:]:
            parents, _, names = record.partition(b"\0")
            found.update(name.strip(b"\n").decode("utf-8", "surrogateescape") for name in names.split(b"\0"))
            untracked += parents.split()[2:3]  # the third parent holds the untracked files
        for commit in untracked:
            listed = self._run("ls-tree", "-r", "-z", "--name-only", commit.decode())
            found.update(name.decode("utf-8", "surrogateescape") for name in listed.stdout.split(b"\0"))
        return found & wanted

    def staged_reader(self, prefetch: Iterable[str] = ()) -> Callable[[str], bytes | None]:
        """Staged bytes by path. ``prefetch`` (the paths a check will read) are looked up with one
        ``ls-files`` (none for paths ``staged_paths`` listed) and read with one ``cat-file --batch``;
        any other path costs two calls."""
        env = {**self._index_env(), "GIT_LITERAL_PATHSPECS": "1"}
        entries: dict[str, str | None] = {}
        blobs: dict[str, bytes] = {}

        def look_up(paths: list[str]) -> None:
            known = [p for p in paths if p in self._staged_blobs]  # listed by staged_paths
            entries.update((p, self._staged_blobs[p]) for p in known)
            paths = [p for p in paths if p not in self._staged_blobs]
            for path in paths:
                entries[path] = None
            if paths:
                for record in self._git("ls-files", "-z", "--stage", "--", *paths, env=env).split(b"\0"):
                    if record:
                        meta, _, name = record.partition(b"\t")
                        entries[name.decode("utf-8", "surrogateescape")] = meta.split()[1].decode()
            wanted = sorted({oid for oid in (entries[p] for p in [*known, *paths]) if oid and oid not in blobs})
            if wanted:
                blobs.update(_read_batch(self._git("cat-file", "--batch", input="\n".join(wanted).encode() + b"\n")))

        paths = sorted(set(prefetch))
        for start in range(0, len(paths), 1000):  # keep the command line short
            look_up(paths[start : start + 1000])

        def read(path: str) -> bytes | None:
            if path not in entries:
                look_up([path])
            oid = entries.get(path)
            return None if oid is None else blobs.get(oid)

        return read


class EarlyHead:
    """``git rev-parse HEAD --abbrev-ref=loose HEAD``: HEAD's commit and the branch's short name
    (``HEAD`` when detached), as ``rev-list`` and ``symbolic-ref --short`` give them, in one process
    started with ``posix_spawnp`` (no ``subprocess`` import: a plain status needs it nowhere else).
    Any failure (an unborn branch, no git, a broken repository) answers None: the caller asks again
    the ordinary way, which says what is wrong."""

    def __init__(self, pid: int, output: int) -> None:
        self._pid, self._output = pid, output

    @classmethod
    def start(cls, root: Path, env: dict[str, str]) -> EarlyHead | None:
        if not hasattr(os, "posix_spawnp"):
            return None
        args = ["git", "-C", str(root), "rev-parse", "HEAD", "--abbrev-ref=loose", "HEAD", "--"]
        read, write = os.pipe()  # both close on exec; the child's stdout is a copy of ``write``
        try:
            quiet = [(os.POSIX_SPAWN_OPEN, 0, os.devnull, os.O_RDONLY, 0), (os.POSIX_SPAWN_DUP2, write, 1),
                     (os.POSIX_SPAWN_OPEN, 2, os.devnull, os.O_WRONLY, 0)]  # fmt: skip
            pid = os.posix_spawnp("git", args, env, file_actions=quiet)
        except OSError:
            os.close(read)
            return None
        finally:
            os.close(write)
        return cls(pid, read)

    def answer(self) -> tuple[str, str | None] | None:
        """(HEAD's commit, the branch or None when detached), or None: ask the ordinary way."""
        chunks = []
        status = None
        try:
            while chunk := os.read(self._output, 4096):
                chunks.append(chunk)
        except OSError:
            chunks = []
        finally:
            os.close(self._output)
            try:
                _pid, status = os.waitpid(self._pid, 0)
            except ChildProcessError:  # SIGCHLD ignored (inherited from a parent): no exit status to read
                pass
        lines = b"".join(chunks).decode("utf-8", "surrogateescape").split("\n")  # the commit, the branch, "--"
        if status is None or os.waitstatus_to_exitcode(status) != 0:
            return None
        if len(lines) != 4 or len(lines[0]) < 40 or lines[2] != "--":
            return None
        return lines[0], None if lines[1] == "HEAD" else lines[1]


def _read_batch(raw: bytes) -> dict[str, bytes]:
    """Blobs from ``git cat-file --batch`` output: ``<oid> <type> <size>\\n<bytes>\\n`` each."""
    blobs: dict[str, bytes] = {}
    position = 0
    while position < len(raw):
        header_end = raw.index(b"\n", position)
        header = raw[position:header_end].decode().split()
        position = header_end + 1
        if len(header) < 3:  # "<oid> missing"
            continue
        size = int(header[2])
        blobs[header[0]] = raw[position : position + size]
        position += size + 1
    return blobs


def _ls_tree_entries(raw: bytes, prefix: str) -> Iterator[tuple[str, str]]:
    """(path relative to the agentsync root, blob id) from ``git ls-tree -r -z --full-name``."""
    for record in raw.split(b"\0"):
        if not record:
            continue
        meta, _, full = record.partition(b"\t")
        _mode, kind, oid = meta.decode().split(" ")
        path = full.decode("utf-8", "surrogateescape")
        if kind == "blob" and path.startswith(prefix):
            yield path[len(prefix) :], oid
