"""`lif ingest FOLDER`: one item per file, idempotent, hostile files refused."""

from __future__ import annotations

import shutil
from pathlib import Path

from lif.models import Attachment, Review

from .test_attachments import word_file

DATA = Path(__file__).resolve().parents[1] / "data"


def test_ingest_twice_creates_items_once_and_reports_refusals(runner, clean_db, tmp_path):
    (tmp_path / "child_x_report.docx").write_bytes(word_file("Learning about neglect."))
    (tmp_path / "audit.pdf").write_bytes(b"%PDF-1.4 audit report")
    shutil.copy(DATA / "zipbomb.docx", tmp_path / "bomb.docx")
    (tmp_path / "notes.txt").write_text("ignored")
    first = runner.invoke(args=["lif", "ingest", str(tmp_path), "--type", "review"])
    assert first.exit_code == 0, first.output
    assert "Created 2, already present 0, refused 1." in first.output
    assert "bomb.docx" in first.output
    titles = sorted(r.title for r in Review.objects)
    assert titles == ["Learning brief", "audit"]  # first heading, else the file name
    assert Attachment.objects.count() == 2
    second = runner.invoke(args=["lif", "ingest", str(tmp_path)])
    assert "Created 0, already present 2, refused 1." in second.output
    assert Review.objects.count() == 2


def test_ingest_of_a_missing_folder_fails_clearly(runner, clean_db, tmp_path):
    result = runner.invoke(args=["lif", "ingest", str(tmp_path / "nope")])
    assert result.exit_code != 0
