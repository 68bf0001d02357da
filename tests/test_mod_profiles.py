"""The defence ministry's press rooms (`mod-zh`, `mod-en`) through the whole pipeline, on a
fixture site written from the published shape of www.mod.gov.cn and eng.mod.gov.cn
(tests/modroom.py): listings paged by a script whose count can be one short, a transcript
whose later pages only a script names, the 时间/地点/发布人 header, the English text's
disclaimer as chrome, an edit on page 2, a removed page that answers HTTP 200. And the same
script pagers as config keys of the generic profile."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path

import modroom as mr
import pytest
from conftest import Monitor, Receiver
from faultserver import SiteServer

from monitor import config as config_mod
from monitor.cli import main
from monitor.model import CycleReport

LX = mr.ZH + "lxjzh_246940/"
YZ = mr.ZH + "yzxwfb/"

SOURCES = (
    ("mod-zh", "mod-zh", mr.LXJZH, ""),
    ("mod-zh-mid", "mod-zh", mr.YZXWFB, ""),
    ("mod-en", "mod-en", mr.EN, ""),
)
# The same Chinese listing described to the generic profile, with the script pager keys.
GENERIC = """[source.selectors]
links = "#main-news-list li a"
link_pattern = '/(?P<id>\\d+)\\.html$'
title = "div.article-header h1"
body = "#article-content"
drop = [".article-share"]
index_count = "createPageHTML\\\\('(\\\\d+)'"
index_page = "{stem}_{n}.{ext}"
index_count_extra = 1
page_count = "createManuscriptPageHTML\\\\('(\\\\d+)'"
page_name = "{stem}_{n}.{ext}"
"""


def _config(path: Path, site: SiteServer, receiver: Receiver, sources=SOURCES) -> Path:
    blocks = "".join(
        f'\n[[source]]\nname = "{name}"\nprofile = "{profile}"\n'
        f'index_url = "{site.url(index)}"\n{extra}\n'
        for name, profile, index, extra in sources
    )
    path.write_text(
        f"""
[monitor]
state_dir = "state"
user_agent = "briefing-monitor-tests/0.1"
timeout = 5
page_timeout = 10

[monitor.recheck]
older = "always"
{blocks}
[[channel]]
name = "hook"
urls = ["{receiver.url}"]
""",
        encoding="utf-8",
    )
    return path


def _room(tmp_path: Path, sources=SOURCES) -> Iterator[Monitor]:
    site_dir = tmp_path / "site"
    mr.build(site_dir)
    receiver, site = Receiver(), SiteServer(site_dir)
    for server in (receiver, site):
        threading.Thread(
            target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        ).start()
    try:
        cfg = _config(tmp_path / "config.toml", site, receiver, sources)
        yield Monitor(cfg, receiver, site, site_dir)
    finally:
        for server in (receiver, site):
            server.shutdown()
            server.server_close()


@pytest.fixture
def room(tmp_path: Path) -> Iterator[Monitor]:
    yield from _room(tmp_path)


def check(m: Monitor, variant: mr.Variant | None = None) -> dict[str, CycleReport]:
    """Show the site as `variant` (if given), run one cycle; each source's report."""
    if variant is not None:
        mr.build(m.site_dir, variant)
    m.check()
    return {r.source: r for r in m.reports[-1]}


def text_of(m: Monitor, source: str, bid: str) -> str:
    b = next(d for d in m.store.documents(source) if d.briefing_id == bid)
    return m.store.read_version(b, b.versions[-1].number)


# -- listings ---------------------------------------------------------------------------------


def test_listings_are_read_through_their_script_pagers_and_one_page_past_the_count(
    room: Monitor,
) -> None:
    reports = check(room)
    # lxjzh's script says 2 pages, the site has 3: the third (July) is found. yzxwfb's says 1
    # and is right: its index_1.html is the site's "not found" page, and mod-en's index_1.html
    # answers 404. Neither is an error.
    assert {name: r.errors for name, r in reports.items()} == {s[0]: [] for s in SOURCES}
    found = {
        s[0]: {(b.briefing_id, b.date, b.kind) for b in room.store.documents(s[0])} for s in SOURCES
    }
    assert found == {
        "mod-zh": {
            (mr.MONTHLY, "2026-09-24", "transcript"),
            (mr.AUGUST, "2026-08-27", "transcript"),
            (mr.JULY, "2026-07-30", "transcript"),
        },
        "mod-zh-mid": {(mr.MIDMONTH, "2026-09-12", "transcript")},
        "mod-en": {
            (mr.EN_SEPT, "2026-09-24", "transcript"),
            (mr.EN_AUG, "2026-08-27", "transcript"),
        },
    }
    assert room.receiver.titles() == []  # the first check is a baseline


def test_a_missing_index_page_within_the_count_is_an_error_past_it_none(room: Monitor) -> None:
    check(room)
    (room.site_dir / LX / "index_2.html").unlink()  # past the count: the count was right
    assert check(room)["mod-zh"].errors == []
    (room.site_dir / LX / "index_1.html").unlink()  # within it: the site is broken
    errors = check(room)["mod-zh"].errors
    assert len(errors) == 1 and "index_1.html" in errors[0] and "404" in errors[0]


def test_a_new_conference_on_the_first_listing_page_is_alerted(room: Monitor) -> None:
    check(room)
    check(room, mr.Variant(new_briefing=True))
    titles = room.receiver.titles()
    assert len(titles) == 1
    assert titles[0].startswith("[mod-zh] New briefing: 2026年10月国防部例行记者会文字实录 — ")
    assert "with its transcript" in titles[0]


# -- transcripts -----------------------------------------------------------------------------


def test_a_transcript_whose_later_pages_only_a_script_names_is_read_whole(
    room: Monitor, capsys: pytest.CaptureFixture[str]
) -> None:
    check(room)
    b = next(d for d in room.store.documents("mod-zh") if d.briefing_id == mr.MONTHLY)
    assert b.page_urls == tuple(
        room.site.url(LX + name)
        for name in (f"{mr.MONTHLY}.html", f"{mr.MONTHLY}_2.html", f"{mr.MONTHLY}_3.html")
    )
    assert b.versions[-1].pages == 3
    text = text_of(room, "mod-zh", mr.MONTHLY)
    assert mr.EDIT_OLD in text  # page 2
    assert "今天的发布会到此结束，谢谢各位！" in text  # page 3
    capsys.readouterr()
    assert main(["--config", str(room.config_path), "show", f"mod-zh/{mr.MONTHLY}"]) == 0
    shown = capsys.readouterr().out
    assert f"--- page 2 ---\n\n今年以来，双方{mr.EDIT_OLD}" in shown
    assert "--- page 3 ---\n\n记者：能否介绍一下今年征兵工作的情况？" in shown
    # Pager links and the script together name each page once.
    mid = next(d for d in room.store.documents("mod-zh-mid") if d.briefing_id == mr.MIDMONTH)
    assert mid.page_urls == (
        room.site.url(YZ + f"{mr.MIDMONTH}.html"),
        room.site.url(YZ + f"{mr.MIDMONTH}_2.html"),
    )


def test_header_lines_date_the_briefing_and_are_no_turns_chrome_stays_out(room: Monitor) -> None:
    check(room)
    text = text_of(room, "mod-zh", mr.MONTHLY)
    assert "时间：2026年9月24日15:00" in text and "发布人：" in text  # what the page says
    for chrome in ("【打印】", "分享到", "微博", "来源：国防部网", "国防部网 版权所有"):
        assert chrome not in text
    en = text_of(room, "mod-en", mr.EN_SEPT)
    assert "for reference" not in en and "Editor:" not in en and "Copyright" not in en
    assert "Zhang Xiaogang: Good afternoon" in en
    sept = next(d for d in room.store.documents("mod-en") if d.briefing_id == mr.EN_SEPT)
    assert (sept.date, sept.published) == ("2026-09-24", "2026-09-29")  # held, then published


def test_turns_and_speakers_carry_across_pages() -> None:
    from monitor.extract import build_transcript, extract_page
    from monitor.profiles import profile_for

    profile = profile_for("mod-zh")
    site = mr.pages()
    urls = [f"http://www.mod.gov.cn/{LX}{mr.MONTHLY}{s}.html" for s in ("", "_2", "_3")]
    parts = [(u, extract_page(site[u.split(".cn/", 1)[1]], u, profile)) for u in urls]
    t = build_transcript(mr.MONTHLY, urls[0], parts)
    assert t.speakers == ("张晓刚", "记者")
    assert [p.speaker for p in t.paragraphs[:3]] == [None, None, None]  # 时间, 地点, 发布人
    page2 = [p for p in t.paragraphs if p.page == 2]
    assert page2[0].speaker == "张晓刚" and mr.EDIT_OLD in page2[0].text  # carried over


# -- changes ---------------------------------------------------------------------------------


def test_an_edit_on_page_two_is_alerted_with_its_speaker(room: Monitor) -> None:
    check(room)
    check(room, mr.Variant(edited=True))
    assert room.receiver.titles() == [
        f"[mod-zh] Edited: {mr.MONTHLY_TITLE} — 1 figure changed (1 change)"  # 十二轮 → 十一轮
    ]
    message = room.receiver.received[0]["message"]
    assert "3 pages" in message
    assert "Officials: 张晓刚\nQuestions from: 记者\n" in message  # not 时间, 发布人
    assert "时间" not in message and "发布人" not in message
    # Chinese is compared character by character: 十二轮 -> 十一轮 is one character.
    assert f"page 2, {mr.EDIT_SPEAKER}:\n  …方共举行了十 [-二-] {{+一+}} 轮工作磋商" in message
    check(room, mr.Variant(edited=True))
    assert room.receiver.titles() == []


def test_a_page_that_answers_the_sites_not_found_page_is_removed_after_two_checks(
    room: Monitor,
) -> None:
    check(room)
    gone = mr.Variant(gone=frozenset({mr.MIDMONTH, mr.EN_SEPT}))
    assert check(room, gone)["mod-zh-mid"].errors == []
    assert room.receiver.titles() == []  # one signal is not enough
    check(room, gone)
    assert sorted(room.receiver.titles()) == [
        f"[mod-en] Removed: {mr.EN_SEPT_TITLE}",
        f"[mod-zh-mid] Removed: {mr.MIDMONTH_TITLE}",
    ]
    mid = next(d for d in room.store.documents("mod-zh-mid") if d.briefing_id == mr.MIDMONTH)
    assert mid.status == "removed" and mid.title == mr.MIDMONTH_TITLE


# -- the same pagers as config keys of the generic profile -----------------------------------


def test_the_generic_profile_reads_the_same_site_from_the_pager_keys(tmp_path: Path) -> None:
    for m in _room(tmp_path, (("ministry", "generic", mr.LXJZH, GENERIC),)):
        report = check(m)["ministry"]
        assert report.errors == []
        docs = {b.briefing_id: b for b in m.store.documents("ministry")}
        assert set(docs) == {mr.MONTHLY, mr.AUGUST, mr.JULY}
        assert len(docs[mr.MONTHLY].page_urls) == 3
        check(m, mr.Variant(edited=True))
        assert m.receiver.titles() == [
            f"[ministry] Edited: {mr.MONTHLY_TITLE} — 1 figure changed (1 change)"
        ]


@pytest.mark.parametrize(
    ("line", "complaint"),
    [
        ('page_name = "{stem}_2.{ext}"', "must say where the page number goes: {n}"),
        ('page_name = "{stem}_{page}.{ext}"', "may use only {n}, {stem} and {ext}"),
        ("page_count = 'createManuscriptPageHTML'", "needs a group that captures the page count"),
        ("page_count = '(unclosed'", "is not a valid regular expression"),
        ("index_count_extra = 5", "must be a number of pages from 0 to 3"),
        ("index_count_extra = true", "must be a number of pages from 0 to 3"),
        ('index_page = ["{stem}_{n}.{ext}"]', "must be one non-empty string"),
    ],
)
def test_pager_keys_are_checked(tmp_path: Path, line: str, complaint: str) -> None:
    path = tmp_path / "config.toml"
    path.write_text(
        f"""[[source]]
name = "ministry"
profile = "mod-zh"
index_url = "http://127.0.0.1/x/index.html"
[source.selectors]
{line}
""",
        encoding="utf-8",
    )
    with pytest.raises(config_mod.ConfigError) as exc:
        config_mod.load(path)
    assert complaint in str(exc.value)


def test_a_pager_key_without_its_pair_is_an_error_unless_the_profile_has_it(
    tmp_path: Path,
) -> None:
    path = tmp_path / "config.toml"
    base = '[[source]]\nname = "m"\nprofile = "{}"\nindex_url = "http://127.0.0.1/"\n'
    path.write_text(
        base.format("generic")
        + '[source.selectors]\nbody = "div"\npage_name = "{stem}_{n}.html"\n',
        encoding="utf-8",
    )
    with pytest.raises(config_mod.ConfigError) as exc:
        config_mod.load(path)
    assert "page_name" in str(exc.value) and "works with page_count" in str(exc.value)
    path.write_text(
        base.format("mod-zh") + '[source.selectors]\npage_name = "{stem}-{n}.{ext}"\n',
        encoding="utf-8",
    )
    source = config_mod.load(path).sources[0]
    assert source.selectors == {"page_name": "{stem}-{n}.{ext}"}


# -- probe -----------------------------------------------------------------------------------


def probe(capsys: pytest.CaptureFixture[str], root: Path, path: str, profile: str, base: str):
    capsys.readouterr()
    code = main(["probe", str(root / path), "--profile", profile, "--base-url", base + path])
    out, err = capsys.readouterr()
    assert code == 0, err
    return out


ZH_SITE = "http://www.mod.gov.cn/"
EN_SITE = "http://eng.mod.gov.cn/"


@pytest.fixture
def saved(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)  # no config.toml in reach
    monkeypatch.delenv("BRIEFING_MONITOR_CONFIG", raising=False)
    monkeypatch.delenv("CONFIGURATION_DIRECTORY", raising=False)
    mr.build(tmp_path / "site")
    return tmp_path / "site"


def test_probe_reads_the_listings(saved: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = probe(capsys, saved, mr.LXJZH, "mod-zh", ZH_SITE)
    assert "  1 briefing link:\n" in out
    assert f"  {mr.MONTHLY}  2026-09-24  {mr.MONTHLY_TITLE}\n" in out
    assert "  2 further index pages:\n" in out
    assert f"  {ZH_SITE}{LX}index_1.html\n  {ZH_SITE}{LX}index_2.html\n" in out
    out = probe(capsys, saved, LX + "index_2.html", "mod-zh", ZH_SITE)
    assert f"  {mr.JULY}  2026-07-30  2026年7月国防部例行记者会文字实录\n" in out
    out = probe(capsys, saved, mr.EN, "mod-en", EN_SITE)
    assert "  2 briefing links:\n" in out
    assert f"{EN_SITE}2025xb/V_251452/{mr.EN_AUG}.html" in out


def test_probe_reads_each_transcript_page(saved: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = probe(capsys, saved, f"{LX}{mr.MONTHLY}.html", "mod-zh", ZH_SITE)
    assert "  kind       transcript: " in out
    assert f"  title      {mr.MONTHLY_TITLE}\n" in out
    assert "  date       2026-09-24 (held: from the title or a header line)\n" in out
    assert "  speakers   张晓刚, 记者\n" in out
    assert "  first      时间：2026年9月24日15:00\n" in out
    assert "  dropped    1 chrome line:\n             【打印】【关闭】\n" in out
    assert "  pages      3 through the pager; probe reads this one\n" in out
    assert f"next: {ZH_SITE}{LX}{mr.MONTHLY}_2.html (and 1 more)" in out
    assert "    body     div#article-content\n" in out
    for n in (2, 3):
        out = probe(capsys, saved, f"{LX}{mr.MONTHLY}_{n}.html", "mod-zh", ZH_SITE)
        assert "  id         - (this URL does not match link_pattern)\n" in out  # a page
        assert f"  title      {mr.MONTHLY_TITLE}\n" in out
        assert "  pages      1 (no pager links)\n" in out  # the script counts on page 1 only
    out = probe(capsys, saved, f"{YZ}{mr.MIDMONTH}.html", "mod-zh", ZH_SITE)
    assert "  pages      2 through the pager; probe reads this one\n" in out
    assert "  speakers   吴谦, 记者\n" in out
    out = probe(capsys, saved, f"2025xb/P/{mr.EN_SEPT}.html", "mod-en", EN_SITE)
    assert "  date       2026-09-24 (" in out and "  published  2026-09-29\n" in out
    assert "  speakers   Zhang Xiaogang, Journalist\n" in out
    assert "  dropped    2 chrome lines:\n             (The following English text is for" in out


def test_probe_of_the_not_found_page(saved: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = probe(capsys, saved, YZ + "index_1.html", "mod-zh", ZH_SITE)
    assert "  soft 404   the site's 'not found' page: a briefing here is removed\n" in out
    assert "  kind       error-page: " in out
