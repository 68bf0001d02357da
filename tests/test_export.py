"""`export --format jsonl`: one JSON line per stored version, with the fields analysts load
into pandas or a database, and the text exactly as the archive keeps it."""

from __future__ import annotations

import io
import json
from pathlib import Path

from conftest import Monitor
from fill_store import add_briefing, versions_of

from monitor.export import FIELDS, export_jsonl
from monitor.fingerprint import fingerprint, from_text
from monitor.store import Store


def rows(store: Store, source: str | None = None) -> tuple[int, list[dict]]:
    out = io.StringIO()
    n = export_jsonl(store, out, source)
    lines = out.getvalue().splitlines()
    assert len(lines) == n
    return n, [json.loads(line) for line in lines]


def test_one_line_per_version_after_real_checks(monitor: Monitor) -> None:
    monitor.check()
    monitor.apply_after()
    monitor.check()
    n, items = rows(monitor.store)
    assert n == 7 + 2  # seven briefings, two of them edited once
    assert all(tuple(item) == FIELDS for item in items)
    nia = [i for i in items if i["id"] == "117420451"]
    assert [i["version"] for i in nia] == [1, 2]
    assert "fell by 30% compared" in nia[0]["text"] and "fell by 25% compared" in nia[1]["text"]
    assert nia[0]["date"] == "2024-09-11" and nia[0]["source"] == "scio"
    meta = monitor.briefing("117420451")
    assert [i["sha256"] for i in nia] == [v.sha256 for v in meta.versions]
    assert [i["fetched_at"] for i in nia] == [v.fetched_at for v in meta.versions]
    for item in items:
        # The text is the stored file, and its hash is the version's fingerprint.
        b = monitor.briefing(item["id"])
        assert item["text"] == monitor.store.read_version(b, item["version"])
        assert fingerprint(from_text(item["text"])).sha256 == item["sha256"]


def test_source_filter_and_non_ascii_text_kept_readable(tmp_path: Path) -> None:
    store = Store(tmp_path / "state")
    add_briefing(store, "scio", "1", "One", versions_of(30, 25))
    text = "--- page 1 ---\n\n耿爽：\n\n中方的立场是一贯的、明确的。\n"
    add_briefing(store, "mfa-zh", "t1", "外交部发言人耿爽主持例行记者会", [text])
    n, items = rows(store, "mfa-zh")
    assert n == 1
    assert items[0]["title"] == "外交部发言人耿爽主持例行记者会"
    assert items[0]["text"] == text
    out = io.StringIO()
    export_jsonl(store, out, "mfa-zh")
    assert "耿爽" in out.getvalue()  # not \u escapes: readable with `grep`
    assert rows(store)[0] == 3
    assert rows(store, "nowhere") == (0, [])
