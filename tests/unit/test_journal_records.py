"""The journal's vocabulary: declared once, documented by a generated table, read live."""

from __future__ import annotations

from pathlib import Path

from fake_backends.records import BACKEND_RECORDS
from harness.journal.doc import render
from harness.journal.records import HARNESS_RECORDS, VOCABULARY
from harness.scoring import JournalView, job_views, score, score_view
from tests.unit.journals import Journal, config, outage_journal

ROOT = Path(__file__).resolve().parents[2]


def test_docs_journal_md_is_the_generated_table():
    current = (ROOT / "docs" / "journal.md").read_text(encoding="utf-8")
    assert current == render(), "docs/journal.md is out of date: run `make docs`"


def test_every_type_is_declared_once_by_the_part_that_writes_it():
    names = [kind.name for kind in VOCABULARY]
    assert len(names) == len(set(names))
    assert all(k.name.startswith("backend.") for k in BACKEND_RECORDS)
    assert not any(k.name.startswith("backend.") for k in HARNESS_RECORDS)
    assert all(k.doc and k.fields.__annotations__ for k in VOCABULARY)


def outage_run() -> list[dict[str, object]]:
    j = outage_journal()
    j.fault(300.0, 360.0)
    j.add(330.0, "alert", status="firing", name="X")
    j.add(340.0, "sut.event", kind="mitigation", name="restarted")
    return j.end(1205.0)


def test_a_view_fed_record_by_record_scores_like_the_whole_journal():
    records = outage_run()
    live = JournalView()
    for r in records:
        live.add(r)
    assert score_view(live, config()) == score(records, config())
    assert live.jobs == job_views(records)
    assert [f.id for f in live.faults] == ["f1"]
    assert [a.name for a in live.alerts] == ["X"]
    assert live.mitigations == [(340.0, "SUT: restarted")]
    assert live.status == ("completed", None)


def test_a_view_sees_an_execution_before_or_after_its_job():
    j = Journal()
    j.job(1, 10.0, done=20.0, started=12.0)
    early = [r for r in j.records if r["type"] == "backend.execution"]
    late = [r for r in j.records if r["type"] != "backend.execution"]
    for order in (early + late, late + early):
        view = JournalView.of(order)
        (job,) = view.jobs.values()
        assert job.started_at == 12.0
