"""Incident postmortems and design proposals, a file each: found by init, made by ``new`` as their folder names them."""

from __future__ import annotations

import datetime
from pathlib import Path

from tests.test_cli import run
from tests.test_layouts_init import _created, _mirrored, _repo

POSTMORTEMS = {
    "docs/postmortems/README.md": "# Postmortems\n\nOne per incident.\n",
    "docs/postmortems/2025-01-09-inngest-step-isolation-bug.md": "# Inngest step isolation bug\n\n## Summary\n",
    "docs/postmortems/2025-10-23-subscription-activation-failures.md": "# Subscription activation failures\n",
    "docs/postmortems/template.md": "# Postmortem: TITLE\n",
}


def test_postmortems_are_found_and_a_new_one_is_named_by_its_day(tmp_path: Path) -> None:
    repo = _repo(tmp_path, POSTMORTEMS)
    code, out, err = run(repo, "init")
    assert code == 0 and "detected postmortem folders" in out, out + err
    assert _mirrored(repo) == {
        "postmortem:2025-01-09-inngest-step-isolation-bug": (
            None, "docs/postmortems/2025-01-09-inngest-step-isolation-bug.md"),
        "postmortem:2025-10-23-subscription-activation-failures": (
            None, "docs/postmortems/2025-10-23-subscription-activation-failures.md"),
    }  # fmt: skip
    day = datetime.date.today().isoformat()
    assert (
        _created(repo, "postmortem", "DB outage") == f"created {day}-db-outage at docs/postmortems/{day}-db-outage.md"
    )
    text = (repo.root / f"docs/postmortems/{day}-db-outage.md").read_text(encoding="utf-8")
    assert text.startswith("# DB outage\n\n## Summary\n") and "\n## Action items\n" in text  # plain, as its neighbours
    assert run(repo, "check")[0] == 0


def test_postmortems_with_ids_keep_them(tmp_path: Path) -> None:
    record = "---\nid: PM-0003\ntitle: Cert expiry\nstatus: final\n---\n\n# Cert expiry\n"
    repo = _repo(tmp_path, {"postmortems/cert-expiry.md": record})
    assert run(repo, "init")[0] == 0
    assert _mirrored(repo) == {"postmortem:PM-0003": ("final", "postmortems/cert-expiry.md")}
    created = _created(repo, "postmortem", "Disk full")
    assert created == "created PM-0004 at postmortems/PM-0004-disk-full.md", created


def test_design_proposals_are_found_as_rfc_folders_are(tmp_path: Path) -> None:
    files = {"docs/proposals/README.md": "# Proposals\n", "docs/proposals/TEMPLATE.md": "# Title\n",
             "docs/proposals/agent-healthcheck.md": "# Agent healthcheck\n\n- Status: accepted\n",
             "docs/proposals/metadata/external-host-tags.md": "# External host tags\n"}  # fmt: skip
    repo = _repo(tmp_path, files)
    code, out, err = run(repo, "init")
    assert code == 0 and "detected proposal folders" in out, out + err
    mirrored = _mirrored(repo)
    assert mirrored["design-proposal:agent-healthcheck"] == ("accepted", "docs/proposals/agent-healthcheck.md")
    assert mirrored["design-proposal:external-host-tags"] == (None, "docs/proposals/metadata/external-host-tags.md")
    assert len(mirrored) == 2  # its README and template are none
    created = _created(repo, "design-proposal", "Log sampling")  # an id of its own, as in an RFC folder
    assert created == "created PROPOSAL-0001 at docs/proposals/PROPOSAL-0001-log-sampling.md", created
    assert run(repo, "check")[0] == 0


def test_design_proposals_beside_openspec_keep_openspecs_proposals_apart(tmp_path: Path) -> None:
    files = {
        "docs/proposals/agent-healthcheck.md": "# Agent healthcheck\n",
        "openspec/project.md": "# Project\n",
        "openspec/changes/add-login/proposal.md": "## Why\n",
        "openspec/changes/add-search/proposal.md": "## Why\n",
    }
    repo = _repo(tmp_path, files)
    code, out, err = run(repo, "init")
    assert code == 0, out + err  # OpenSpec's proposals named by their change folder, as before: no duplicate id
    mirrored = _mirrored(repo)
    assert {"proposal:add-login-proposal", "proposal:add-search-proposal", "design-proposal:agent-healthcheck"} <= set(
        mirrored
    ), mirrored
