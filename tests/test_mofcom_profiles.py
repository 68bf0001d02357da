"""The Ministry of Commerce's press conferences (`mofcom-zh`, `mofcom-en`) on a local press
room shaped after ../shared/evidence/REAL-SITES.md (tests/mofcomroom.py): a list served as
JSON behind a script shell, over two pages; 【何亚东】 turns alone on their lines; the day
held in the Chinese URL's slug; and the generic JSON-listing keys any site can use."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator
from pathlib import Path

import mofcomroom as mr
import pytest
from conftest import Monitor, Receiver

from monitor import config as config_mod
from monitor.cli import main
from monitor.config import ConfigError, MonitorSettings
from monitor.discover import json_request, listing_html
from monitor.extract import build_transcript, extract_page
from monitor.fetch import Fetcher, FetchError
from monitor.profiles import JsonListing, profile_for
from monitor.speakers import assign, label_of

ZH, EN = mr.ZH_CONFERENCES, mr.EN_CONFERENCES
ZH_IDS = ["swbzklxxwfbh2025n6y12r", "swbzklxxwfbh2025n6y5r", "swbzklxxwfbh2025n5y29r"]
EN_IDS = [c.path.rsplit("art_", 1)[1].removesuffix(".html") for c in EN]


def write_config(
    path: Path, server: mr.MofcomServer, receiver: Receiver, lang: str, **kw: str
) -> Path:
    """One source of `mofcom-{lang}` (or a `profile` given) on the local press room; its list
    column (pageId) set as a user copies it from the site, plus any `selectors` lines."""
    column = mr.ZH_COLUMN if lang == "zh" else mr.EN_COLUMN
    index = mr.ZH_LIST if lang == "zh" else mr.EN_LIST
    path.write_text(
        f"""
[monitor]
state_dir = "state"
user_agent = "briefing-monitor-tests/0.1"
timeout = 5
page_timeout = 10
{kw.get("monitor", "")}

[monitor.recheck]
older = "always"

[[source]]
name = "mofcom-{lang}"
profile = "{kw.get("profile", "mofcom-" + lang)}"
index_url = "{server.url(index)}"
notify = ["ops"]

[source.selectors]
json_params = {{ webId = "w1", pageId = "{column}", parseType = "bulidstatic" }}
{kw.get("selectors", "")}

[[channel]]
name = "hook"
urls = ["{receiver.url}"]
tags = ["ops"]
""",
        encoding="utf-8",
    )
    return path


@pytest.fixture
def room(tmp_path: Path) -> Iterator[mr.MofcomServer]:
    with mr.serving(tmp_path / "site") as server:
        yield server


def monitor_for(
    tmp_path: Path, room: mr.MofcomServer, receiver: Receiver, lang: str, **kw: str
) -> Monitor:
    cfg = write_config(tmp_path / "config.toml", room, receiver, lang, **kw)
    return Monitor(cfg, receiver, room, room.root)  # type: ignore[arg-type]


def tracked(m: Monitor) -> dict[str, tuple[str | None, str]]:
    return {b.briefing_id: (b.date, b.kind) for b in m.store.documents()}


# -- the listing ------------------------------------------------------------------------


def test_chinese_listing_is_read_from_two_json_pages_with_the_day_held_from_the_slug(
    tmp_path: Path, room: mr.MofcomServer, receiver: Receiver
) -> None:
    m = monitor_for(tmp_path, room, receiver, "zh")
    report = m.check()
    assert report.errors == []
    # Page 1 without paramJson, page 2 with it, page 3 empty: the end of the list.
    assert room.asked == [
        ("GET", mr.ZH_COLUMN, 1),
        ("GET", mr.ZH_COLUMN, 2),
        ("GET", mr.ZH_COLUMN, 3),
    ]
    # The 答记者问 item is no regular press conference; the dates are the days held.
    assert tracked(m) == {
        "swbzklxxwfbh2025n6y12r": ("2025-06-12", "transcript"),
        "swbzklxxwfbh2025n6y5r": ("2025-06-05", "transcript"),  # its stamp says 06-06
        "swbzklxxwfbh2025n5y29r": ("2025-05-29", "transcript"),
    }
    # Links in the JSON's HTML are the site's, not the endpoint's (/api-gateway/...).
    urls = {b.briefing_id: b.url for b in m.store.documents()}
    assert urls["swbzklxxwfbh2025n6y12r"] == room.url(ZH[0].path)


def test_english_listing_by_post_as_a_source_may_ask_for_it(
    tmp_path: Path, room: mr.MofcomServer, receiver: Receiver
) -> None:
    m = monitor_for(tmp_path, room, receiver, "en", selectors='json_method = "POST"')
    assert m.check().errors == []
    assert [a[0] for a in room.asked] == ["POST", "POST", "POST"]
    assert [a[2] for a in room.asked] == [1, 2, 3]
    assert tracked(m) == {
        EN_IDS[0]: ("2025-05-08", "transcript"),  # held on the 8th, listed on the 9th
        EN_IDS[1]: ("2025-04-30", "transcript"),
        EN_IDS[2]: ("2025-04-24", "transcript"),
    }


def test_json_served_as_text_is_read_too(
    tmp_path: Path, room: mr.MofcomServer, receiver: Receiver
) -> None:
    room.json_type = "text/html;charset=UTF-8"
    m = monitor_for(tmp_path, room, receiver, "zh")
    assert m.check().errors == [] and len(tracked(m)) == 3


# -- turns, speakers, edits, removal ------------------------------------------------------


@pytest.mark.parametrize(
    ("lang", "title", "speakers"),
    [
        ("zh", ZH[0].title, "Officials: 何亚东\nQuestions from: 总台央视记者, 路透社记者"),
        ("en", EN[0].title, "Officials: He Yadong\nQuestions from: CCTV Business, Reuters"),
    ],
)
def test_turns_and_speakers_in_both_languages(
    tmp_path: Path, room: mr.MofcomServer, receiver: Receiver, lang: str, title: str, speakers: str
) -> None:
    m = monitor_for(tmp_path, room, receiver, lang, monitor="alert_on_first_check = true")
    assert m.check().errors == []
    new = next(r for r in receiver.received if title in r["title"])
    assert new["title"].startswith(f"[mofcom-{lang}] New briefing: {title} — with its transcript")
    assert speakers in new["message"]


def test_chinese_bracketed_labels_start_turns_and_chrome_stays_out() -> None:
    c = ZH[0]
    url = "https://www.mofcom.gov.cn/" + c.path
    page = extract_page(mr.zh_page(c), url, profile_for("mofcom-zh"))
    assert page.title == c.title and page.date == "2025-06-12"
    assert page.paragraphs[0] == "【何亚东】"
    assert not any("分享" in p or "打印" in p for p in page.paragraphs)
    t = build_transcript("x", url, [(url, page)])
    assert [p.speaker for p in t.paragraphs][:5] == [
        "何亚东",
        "何亚东",
        "何亚东",
        "总台央视记者",
        "总台央视记者",
    ]


def test_an_edit_is_alerted_with_its_speaker(
    tmp_path: Path, room: mr.MofcomServer, receiver: Receiver
) -> None:
    m = monitor_for(tmp_path, room, receiver, "zh")
    m.check()
    m.edit(ZH[0].path, "已有30个省份", "已有28个省份")
    m.check()
    assert receiver.titles() == [f"[mofcom-zh] Edited: {ZH[0].title} — 1 figure changed (1 change)"]
    message = receiver.received[0]["message"]
    assert "何亚东:" in message and "30" in message and "28" in message


def test_a_soft_404_is_a_removal_after_two_checks(
    tmp_path: Path, room: mr.MofcomServer, receiver: Receiver
) -> None:
    m = monitor_for(tmp_path, room, receiver, "en")
    m.check()
    (room.root / EN[1].path).write_text(
        mr.SOFT_404.replace(
            "对不起，您访问的页面不存在或已被删除！",
            "Sorry, the page you requested does not exist.",
        ),
        encoding="utf-8",
    )
    m.check()
    assert receiver.titles() == []  # once may be a hiccup
    m.check()
    assert receiver.titles() == [f"[mofcom-en] Removed: {EN[1].title}"], receiver.titles()
    assert "not found" in receiver.received[0]["message"].lower()


# -- what goes wrong with the JSON ------------------------------------------------------


@pytest.mark.parametrize(
    ("fault", "says"),
    [
        ("bad-json", "listing: the answer is not JSON (Unterminated string"),
        ("failed", "listing: the JSON says success = false"),
        ("no-field", "listing: the JSON has no field 'data.html'"),
    ],
)
def test_a_broken_first_json_page_is_one_source_error(
    tmp_path: Path, room: mr.MofcomServer, receiver: Receiver, fault: str, says: str
) -> None:
    m = monitor_for(tmp_path, room, receiver, "zh")
    room.json_faults[1] = fault
    report = m.check()
    assert len(report.errors) == 1, report.errors
    assert report.errors[0].startswith(room.url(mr.API.lstrip("/")) + "?webId=w1&")
    assert says in report.errors[0]
    assert tracked(m) == {}


def test_a_broken_later_json_page_is_one_error_and_the_others_are_read(
    tmp_path: Path, room: mr.MofcomServer, receiver: Receiver
) -> None:
    m = monitor_for(tmp_path, room, receiver, "zh")
    room.json_faults[2] = "failed"
    report = m.check()
    assert len(report.errors) == 1
    assert "paramJson=%7B%22pageNo%22%3A2%2C%22pageSize%22%3A15%7D" in report.errors[0]
    assert "listing page 2: the JSON says success = false" in report.errors[0]
    assert list(tracked(m)) == [ZH_IDS[0]]  # page 1's conference; page 3 was read, empty
    assert [a[2] for a in room.asked] == [1, 2, 3]


def test_a_briefing_url_answering_json_is_refused(
    tmp_path: Path, room: mr.MofcomServer, receiver: Receiver
) -> None:
    m = monitor_for(tmp_path, room, receiver, "zh")
    room.as_json.add(ZH[1].path)
    report = m.check()
    assert ZH_IDS[1] not in tracked(m) and len(tracked(m)) == 2
    refused = [e for e in report.errors if ZH[1].path in e]
    assert len(refused) == 1 and "content type 'application/json' is not HTML" in refused[0]


def test_the_fetcher_takes_json_only_for_a_listing_declared_json(room: mr.MofcomServer) -> None:
    url = room.url(mr.API.lstrip("/")) + "?pageId=" + mr.ZH_COLUMN

    async def fetch(**kw: bool) -> str:
        async with Fetcher(MonitorSettings(timeout=5, page_timeout=10)) as f:
            return (await f.get(url, index_url=url, **kw)).text

    with pytest.raises(FetchError, match="JSON is read only from a listing its profile declares"):
        asyncio.run(fetch())
    assert json.loads(asyncio.run(fetch(json_listing=True)))["success"] is True


def test_page_requests_and_field_paths() -> None:
    listing = JsonListing(
        html="data.items.0.html",
        params=(("pageId", "c 1"),),
        page_params=(("paramJson", '{"pageNo":{n},"pageSize":15}'),),
    )
    base = "https://h.example/api?tagId=%E5%88%97%E8%A1%A8&pageId=old"
    assert json_request(base, listing, 1) == (
        "https://h.example/api?tagId=%E5%88%97%E8%A1%A8&pageId=c%201",
        None,
    )
    url, form = json_request(base, listing, 2)
    assert url.endswith("&pageId=c%201&paramJson=%7B%22pageNo%22%3A2%2C%22pageSize%22%3A15%7D")
    post = JsonListing(html="h", method="POST", page_params=listing.page_params)
    assert json_request(base, post, 3) == (base, {"paramJson": '{"pageNo":3,"pageSize":15}'})
    text = json.dumps({"data": {"items": [{"html": "<ul></ul>"}]}})
    assert listing_html(text, listing, "u") == "<ul></ul>"
    with pytest.raises(FetchError, match=r"u: listing page 2: the JSON has no text in the field"):
        listing_html(json.dumps({"data": {"items": [{"html": None}]}}), listing, "u", 2)


# -- the generic profile, through config keys ---------------------------------------------


def test_the_generic_profile_reads_a_json_listing_from_config_keys(
    tmp_path: Path, room: mr.MofcomServer, receiver: Receiver
) -> None:
    selectors = "\n".join(
        (
            f'json_url = "{mr.API}"',
            'json_html = "data.html"',
            'json_ok = "success"',
            'json_page_params = { paramJson = \'{"pageNo":{n},"pageSize":15}\' }',
            r"link_pattern = '/xwfbzt/\d{4}/(?P<id>swbzklxxwfbh[0-9nyr]+)/index\.html$'",
            r"url_date = 'swbzklxxwfbh(?P<y>\d{4})n(?P<m>\d{1,2})y(?P<d>\d{1,2})r'",
            'body = "#zoom"',
        )
    )
    m = monitor_for(tmp_path, room, receiver, "zh", profile="generic", selectors=selectors)
    assert m.check().errors == []
    assert {k: v[0] for k, v in tracked(m).items()} == {
        ZH_IDS[0]: "2025-06-12",
        ZH_IDS[1]: "2025-06-05",
        ZH_IDS[2]: "2025-05-29",
    }


@pytest.mark.parametrize(
    ("lines", "says"),
    [
        ('json_url = "https://h.example/api"', "json_url: works with json_html"),
        ('json_html = "data..html"', "json_html: 'data..html' is not a field path"),
        ('json_html = "d"\njson_method = "PUT"', 'json_method: \'PUT\' must be "GET" or "POST"'),
        ('json_html = "d"\njson_page_params = { pageNo = 2 }', "json_page_params: must say where"),
        ('json_html = "d"\njson_params = { a = true }', "json_params: must be a table of strings"),
        ("url_date = '(?P<y>\\d{4})'", "url_date: needs the groups"),
        ('json_html = "d"\njson_url = "ftp://h.example/x"', "json_url: 'ftp://h.example/x' is not"),
    ],
)
def test_json_listing_keys_are_checked(tmp_path: Path, lines: str, says: str) -> None:
    path = tmp_path / "config.toml"
    path.write_text(
        f"""[[source]]
name = "x"
profile = "generic"
index_url = "https://h.example/list.html"
[source.selectors]
body = "main"
{lines}
[[channel]]
name = "c"
urls = ["json://127.0.0.1/hook"]
""",
        encoding="utf-8",
    )
    with pytest.raises(ConfigError) as err:
        config_mod.load(path)
    assert says in str(err.value)


# -- speakers and probe -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("line", "label"),
    [
        ("【何亚东】", ("何亚东", True)),
        ("【 总台央视记者 】", ("总台央视记者", True)),
        ("【《环球时报》记者】", ("《环球时报》记者", True)),
        ("【打印】", (None, False)),
        ("【关闭窗口】", (None, False)),
        ("【编者按】", (None, False)),
        ("【我想强调几点】", (None, False)),  # a clause, not a name
        ("【何亚东】我们注意到有关报道。", (None, False)),  # not alone on its line
    ],
)
def test_a_bracketed_label_alone_on_its_line_is_a_turn(line: str, label: tuple) -> None:
    assert label_of(line) == label


def test_bracketed_turns_run_until_the_next_label() -> None:
    assert assign(
        ["【何亚东】", "下午好。", "【路透社记者】", "请问？", "【何亚东】", "谢谢。"]
    ) == [
        "何亚东",
        "何亚东",
        "路透社记者",
        "路透社记者",
        "何亚东",
        "何亚东",
    ]


def test_probe_reads_a_saved_conference_page(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    c = ZH[1]  # no date in its title: the day held is the slug's
    page = tmp_path / "index.html"
    page.write_text(mr.zh_page(c), encoding="utf-8")
    url = "https://www.mofcom.gov.cn/" + c.path
    assert main(["probe", str(page), "--profile", "mofcom-zh", "--base-url", url]) == 0
    out = capsys.readouterr().out
    assert "kind       transcript: 4 speaker turns by 3 speakers" in out
    assert f"id         {ZH_IDS[1]}" in out
    assert f"title      {c.title}" in out
    assert "date       2025-06-05 (held: from the URL, as the profile's url_date reads it)" in out
    assert "published  2025-06-06" in out
    assert "speakers   何亚东, 总台央视记者, 路透社记者" in out
    assert "body     #zoom" in out


def test_probe_reads_an_english_conference_page(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    c = EN[0]
    page = tmp_path / "art.html"
    page.write_text(mr.en_page(c), encoding="utf-8")
    url = "https://english.mofcom.gov.cn/" + c.path
    assert main(["probe", str(page), "--profile", "mofcom-en", "--base-url", url, "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    facts = report["page"]
    assert report["briefing_id"] == EN_IDS[0]
    assert (facts["kind"], facts["title"], facts["date"]) == ("transcript", c.title, "2025-05-08")
    assert facts["speakers"] == ["He Yadong", "CCTV Business", "Reuters"]
