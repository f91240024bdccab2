"""The commented ``agentsync.yaml`` that ``init`` writes: people read and edit this file, so every
setting is explained where it stands, and no secret has a place in it."""

from __future__ import annotations

from agentsync.config.model import DEFAULT_MAX_FILE_SIZE, TypeConfig, default_types


def render_default(
    types: tuple[TypeConfig, ...] | None = None, project: str | None = None, detected: tuple[str, ...] = ()
) -> str:
    """The commented config ``init`` writes (``project`` named, so every clone shares one);
    ``detected`` names the layouts init recognised."""
    lines = [
        "# agentsync configuration. Keep secrets out of this file: keys and tokens are read",
        "# only from environment variables (SUPABASE_SERVICE_ROLE_KEY, AGENTSYNC_DATABASE_URL, ...).",
        "version: 1",
        "",
        *(f"# Detected: {_one_line(name)}" for name in detected),
        "# Artifact types: the globs (relative to this folder) that find each type's files (Markdown,",
        "# or YAML files whose top level is a mapping), less the files `exclude` matches (a glob without",
        "# a / matches a file name in any folder); the prefix `agentsync new TYPE` gives fresh ids; and",
        "# `id_from`, where each file's id comes from: frontmatter (default: its `id:`, the agent CLI's",
        "# `# ID: Title` heading, else the file name), heading, filename, or path (relative to the",
        "# globs' fixed folders; README.md and index.md take their folder's name).",
        "types:",
    ]
    for type_config in types or default_types():
        lines += _type_lines(type_config)
    lines += [
        "",
        "# Optional: globs no type's files come from, such as README.md or CHANGELOG.md.",
        "# exclude: [README.md, CHANGELOG.md]",
        "",
        "# Fields only Git may change (a frontmatter key, or where another format keeps it: a",
        "# ## State section, a Status: line): export and pull never write a value for them that",
        "# did not come from Git.",
        "git_fields:",
        "  - status",
        "",
        "# Optional: the values a field may take (checked by `agentsync check`).",
        "# allowed_values:",
        "#   status: [DRAFT, PROPOSED, ACCEPTED, IN_PROGRESS, DONE, SUPERSEDED]",
        "",
        "# Optional: keys every artifact's frontmatter must have (checked by `agentsync check`).",
        "# required_fields: [id, title]",
        "",
        "# Files larger than this many bytes are reported and not mirrored.",
        f"max_file_size: {DEFAULT_MAX_FILE_SIZE}",
        "",
        "# The shared remote `push` and `pull` use: `local` (a PostgreSQL on this machine that",
        "# agentsync starts itself: clones here share edits with no set-up), a postgresql:// URL",
        "# (password in PGPASSWORD or AGENTSYNC_DATABASE_URL), a Supabase https:// URL (keys in",
        "# SUPABASE_* variables), or a name from `remotes` (see `agentsync remote add`).",
        "remote: local",
        "",
        "# `agentsync watch` mirrors every save; with auto_push it also pushes local changes",
        "# (`agentsync watch --push` does for one run). Its pacing, in seconds:",
        "auto_push: false",
        "# watch: {debounce: 0.2, push_delay: 0.5, poll_interval: 5, notify: true}",
        "",
        "# Before anything is pushed (and in `agentsync check`), artifacts are scanned for secrets:",
        "# keys, tokens, private keys, URLs with passwords. A line marked `agentsync: allow` is let",
        "# through. personal_data: true adds emails and phone numbers (not in the frontmatter keys",
        "# of allow_keys: the author line `agentsync new` writes).",
        "# outbound_scan: {personal_data: false, allow: [], allow_values: [], allow_keys: [author], patterns: {}}",
        "",
        "# Plugins: modules importable from this folder (team-local check rules, resolvers, event",
        "# listeners); installed plugin packages load by themselves. `agentsync plugins` lists them.",
        "# plugins: [team_rules]",
        "",
        "# `agentsync mcp` (the server for AI coding agents): may update_artifact set git fields?",
        "# mcp: {git_fields: false}",
        "",
        "# The project on the remote: every clone of this repository uses this name.",
        *([f"project: {project}"] if project else ["# project: my-repository"]),
        "",
    ]
    return "\n".join(lines)


def _scalar(value: object) -> str:
    """A YAML scalar as the frontmatter writer spells it (imported here: only `init` and the docs write a config)."""
    from agentsync.formats.frontmatter import render_scalar

    return render_scalar(value)


def _type_lines(type_config: TypeConfig) -> list[str]:
    """One type's entry under ``types:``, its defaults left out."""
    lines = [f"  {type_config.name}:", f"    id_prefix: {_scalar(type_config.id_prefix)}"]
    if type_config.id_from != "frontmatter":
        lines.append(f"    id_from: {type_config.id_from}")
    if type_config.type_from != "frontmatter":
        lines.append(f"    type_from: {type_config.type_from}  # its files' own `type:` is a field, not their type")
    lines.append("    globs:")
    lines.extend(f"      - {_scalar(glob)}" for glob in type_config.globs)
    if type_config.exclude:
        lines.append("    exclude:")
        lines.extend(f"      - {_scalar(glob)}" for glob in type_config.exclude)
    return lines


def _one_line(text: str) -> str:
    """``text`` as one comment line: a name read from a repository's files may hold a line break."""
    import re

    return re.sub(r"[\x00-\x1f\x7f-\x9f\u2028\u2029]", "?", text)
