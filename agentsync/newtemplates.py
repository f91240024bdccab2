"""The text ``agentsync new`` starts a record from: the type's configured template, else the layout
the folder's records have (read from its latest record, or named by the folder's place), else the
type's built-in template. Templates are ``string.Template`` texts (``${id}``, ``${title}``, ...)."""

from __future__ import annotations

import re
from importlib import resources
from pathlib import Path
from typing import Any

from agentsync import formats
from agentsync.backlognames import backlog_default_status
from agentsync.config import Config
from agentsync.errors import ConfigError
from agentsync.fsutil import read_below

TEMPLATE_PACKAGE = "agentsync.templates"
# Spec Workflow's template folders under .spec-workflow/, in the order the tool reads them
SPEC_WORKFLOW_TEMPLATE_FOLDERS = ("user-templates", "templates")
# BMAD's own story template, where its versions install it under _bmad/bmm/
BMAD_STORY_TEMPLATES = (
    ("_bmad", "bmm", "workflows", "4-implementation", "create-story", "template.md"),
    ("_bmad", "bmm", "4-implementation", "bmad-create-story", "template.md"),
)


def _templates() -> Any:  # a Traversable (its import path differs across Python versions)
    """Built-in templates: packaged in a wheel, or the source tree's templates/ in a checkout."""
    try:
        packaged = resources.files(TEMPLATE_PACKAGE)
        if packaged.joinpath("plan.md").is_file():
            return packaged
    except ModuleNotFoundError:
        pass
    return Path(__file__).resolve().parent.parent / "templates"


def layout_template(config: Config, type_name: str, latest: str) -> str | None:
    """The built-in template for the layout of the folder's latest record (``latest``): adr-tools'
    (``nygard``), MADR 2's bullets (``madr``), MADR 3's frontmatter without an id (``frontmatter``),
    a heading and bold labels such as Spec Kit's ``**Status**: Draft`` (``agent``), the type's own
    sections without frontmatter where the records have none (``plain``); None for another
    (frontmatter with ids: the type's own template fits)."""
    try:
        text = (config.root / latest).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        return None
    name = formats.detect(latest, text).name
    span = formats.find_frontmatter(text)
    if span is not None and re.search(r"(?m)^id[ \t]*:", text[span.start : span.end]):
        return None  # the records name themselves by id: agentsync's own template, whose id is the name
    if name == "plain":
        builtin = _builtin(type_name)
        found = formats.find_frontmatter(builtin)
        return builtin[found.body :].lstrip("\n") if found is not None else builtin
    if name == "frontmatter" and not re.search(r"(?m)^## (?:Context and Problem Statement|Decision Outcome)", text):
        return None  # frontmatter, but no MADR record: the type's own template
    template = _templates().joinpath("layouts", f"{name}.md")
    if not template.is_file():
        return None
    layout = str(template.read_text(encoding="utf-8"))
    if name == "nygard" and not re.search(r"(?m)^# \d+\. ", text):  # a folder of dated ADRs: headings unnumbered
        layout = layout.replace("# ${number}. ${title}", "# ${title}", 1)
    if name == "madr" and re.search(r"(?m)^- Status:", text):  # log4brains' bullets are dashes
        layout = re.sub(r"(?m)^\* ", "- ", layout)
    if name == "agent" or (name == "madr" and type_name != "adr"):
        return _with_own_sections(layout, type_name)
    return layout


def _with_own_sections(layout: str, type_name: str) -> str:
    """A heading and labels (bold ones, MADR's bullets) from ``layout``, then the sections of the
    type's own built-in template (an RFC's Summary, Motivation, Design, ...) in place of the layout's
    (a decision record's); ``layout`` as it is for a type without a built-in template of its own."""
    if not _templates().joinpath(f"{type_name}.md").is_file():
        return layout
    own = _builtin(type_name)
    sections = re.search(r"(?m)^## ", own)
    if sections is None:
        return layout
    first = re.search(r"(?m)^## ", layout)
    labels = layout[: first.start()] if first else layout
    return labels.rstrip("\n") + "\n\n" + own[sections.start() :]


def load_template(config: Config, type_name: str, latest: str | None = None, layout: str | None = None) -> str:
    """The type's configured template, else the folder's layout (``layout``, or that of the folder's
    ``latest`` record where its records follow a naming of their own), else the built-in."""
    type_config = config.type_named(type_name)
    if type_config.template:
        path = config.root / type_config.template
        try:
            return path.read_text(encoding="utf-8")
        except OSError as exc:
            raise ConfigError(f"types.{type_name}.template: cannot read {path}: {exc.strerror}") from None
    if layout is not None and (own := _tools_own(config.root, type_name, layout)):
        return own
    if layout is not None:
        return str(_templates().joinpath("layouts", f"{layout}.md").read_text(encoding="utf-8"))
    if latest is not None and (found := layout_template(config, type_name, latest)):
        return found
    return _builtin(type_name)


def _tools_own(root: Path, type_name: str, layout: str) -> str | None:
    """The template the tool whose layout ``layout`` is keeps in the repository (the agent CLI's,
    Spec Workflow's, BMAD's), as one of ours; None where it has none (the built-in layout then)."""
    if layout == "agent-cli":
        return agent_cli_template(root, type_name)
    if layout.startswith("spec-workflow-"):
        return spec_workflow_template(root, layout)
    if layout == "bmad-v6-story":
        return bmad_story_template(root)
    return None


def _builtin(type_name: str) -> str:
    """The type's built-in template; a type the team added without one gets the plan template."""
    builtin = _templates()
    if builtin.joinpath(f"{type_name}.md").is_file():
        return str(builtin.joinpath(f"{type_name}.md").read_text(encoding="utf-8"))
    return str(builtin.joinpath("plan.md").read_text(encoding="utf-8")).replace("type: plan", f"type: {type_name}")


def agent_cli_template(root: Path, type_name: str) -> str | None:
    """The agent CLI's own template of the type (``.agent/templates/story-template.md``) as one of
    ours: its sections (the CLI's checks want a story's Problem Statement, Acceptance Criteria, ...)
    under the new record's heading (``# ${id}: ${title}`` for its ``# STORY-XXX: Title``), and its
    state where it names one (``DRAFT``; a list of choices, ``PROPOSED | ACCEPTED``, becomes
    ``${status}``); None where the CLI has no template of the type."""
    from agentsync.formats.agent import status_places
    from agentsync.formats.base import BOLD, first_heading, line_ending, whole_value

    text = read_below(root, f".agent/templates/{type_name}-template.md")
    if text is None:
        return None
    text = re.sub(r"(?m)^[ \t]*\{\{ *COPYRIGHT_HEADER *\}\}[ \t]*\r?\n?", "", text.replace("$", "$$"))
    heading = first_heading(text)
    if heading is None:
        return None
    eol, ours = line_ending(text), "# ${id}: ${title}"
    end = _heading_end(text, heading)
    text = f"{text[: heading.start()]}{ours}{text[end:]}"
    places = status_places(text)
    if not places:
        at = heading.start() + len(ours)
        return f"{text[:at]}{eol}{eol}## State{eol}{eol}${{status}}{text[at:]}"
    state = whole_value(text, places[0]) if places[0].how.endswith(BOLD) else places[0]  # **DRAFT** | ...: all of it
    if re.search(r"[|<>\[\]]", text[state.start : state.end]):  # choices or a placeholder: the type's first status
        text = f"{text[: state.start]}${{status}}{text[state.end :]}"
    return text


def _heading_end(text: str, heading: re.Match[str]) -> int:
    """Where the heading line's text ends: before its line ending (a CR of CRLF stays with it)."""
    return heading.end() - (text[heading.end() - 1 : heading.end()] == "\r")


def spec_workflow_template(root: Path, layout: str) -> str | None:
    """Spec Workflow's own template of a document (``spec-workflow-requirements``: the team's
    ``.spec-workflow/user-templates/requirements-template.md`` first, then the tool's
    ``templates/``, as the tool reads them), the new record's title in its heading
    (``# Requirements Document: ${title}``, as its specs are headed); None where neither has it."""
    from agentsync.formats.base import first_heading

    name = f"{layout.removeprefix('spec-workflow-')}-template.md"
    for folder in SPEC_WORKFLOW_TEMPLATE_FOLDERS:
        text = read_below(root, f".spec-workflow/{folder}/{name}")
        if text is None:
            continue
        text = text.replace("$", "$$")
        heading = first_heading(text)
        if heading is None:
            return f"# ${{title}}\n\n{text}"
        end = _heading_end(text, heading)
        line = text[heading.start() : end].rstrip()
        return f"{text[: heading.start()]}{line}{' ' if line.endswith(':') else ': '}${{title}}{text[end:]}"
    return None


def bmad_story_template(root: Path) -> str | None:
    """BMAD's own story template (as the team may have changed it: its sections, its quality gates),
    the new story's number and title in place of ``{{epic_num}}.{{story_num}}`` and ``{{story_title}}``;
    its other placeholders stay for BMAD's agents to fill. None where BMAD has none with those."""
    for parts in BMAD_STORY_TEMPLATES:
        text = read_below(root, "/".join(parts))
        if text is None:
            continue
        text = re.sub(r"\{\{\s*epic_num\s*\}\}\.\{\{\s*story_num\s*\}\}", "${number}", text.replace("$", "$$"))
        text = re.sub(r"\{\{\s*story_title\s*\}\}", "${title}", text)
        if "${number}" in text and "${title}" in text:
            return text
    return None


def new_status(config: Config, type_name: str, folder: str, layout: str | None) -> str:
    """The status a built-in layout writes: Backlog.md's configured default, else the one the
    type's built-in template has (PROPOSED for an ADR, DRAFT for the others)."""
    if layout is not None and layout.startswith("backlog"):
        return backlog_default_status(config.root, folder)
    builtin = _templates().joinpath(f"{type_name}.md")
    text = str(builtin.read_text(encoding="utf-8")) if builtin.is_file() else ""
    found = re.search(r"(?m)^status:[ \t]*(\S+)", text)
    return found.group(1) if found else "DRAFT"


def status_as_spelled(text: str, path: str, type_name: str, config: Config, statuses: list[str | None]) -> str:
    """The new text with its status spelled as the type's records spell that word (a template's
    PROPOSED where the records say ``proposed``): ``board`` showed PROPOSED and proposed as two
    columns, while ``ls --status proposed`` listed both."""
    from agentsync.artifact import parse_text
    from agentsync.frontmatter_edit import set_field

    status = parse_text(path, text, type_name, "", config.id_rule(type_name)).status
    if status is None:
        return text
    spelled = {value for value in statuses if value is not None and value.lower() == status.lower()}
    if not spelled or status in spelled:
        return text
    return set_field(text, "status", max(spelled, key=lambda value: statuses.count(value)), path)
