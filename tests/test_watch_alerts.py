"""Watch words through the pipeline, on the seeds/ press room: a watched term in a new
transcript, added by an edit, removed by one, each alerts the watch's channels only, once,
quoting the sentence; a term in the page chrome never matches; `watch-test` finds the past."""

from __future__ import annotations

import json
import shutil
import threading
from collections.abc import Iterator

import pytest
from conftest import NIA, SEEDS, Monitor, Receiver

from monitor import cli

HARVEST = "SCIO press conference on ensuring a good autumn grain harvest in 2024"
SCITECH = (
    "SCIO press conference on policies supporting scientific and technological innovation "
    "by enterprises"
)
NIA_TITLE = (
    "SCIO briefing on promoting high-quality development: National Immigration Administration"
)
PAGE7 = NIA + "_7.html"


@pytest.fixture
def desk() -> Iterator[Receiver]:
    """A second channel's webhook: the watches tell it, and it takes nothing else."""
    srv = Receiver()
    threading.Thread(target=srv.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()
    yield srv
    srv.shutdown()
    srv.server_close()


@pytest.fixture
def watched(monitor: Monitor, desk: Receiver) -> Monitor:
    with monitor.config_path.open("a", encoding="utf-8") as f:
        f.write(
            f"""
[[channel]]
name = "desk"
urls = ["{desk.url}"]
events = ["watch"]

[[watch]]
name = "Harvest"
terms = ["combine harvesters"]
channels = ["desk"]

[[watch]]
name = "Tax"
terms = ["quarterly returns"]
sources = ["scio"]
channels = ["desk"]

[[watch]]
name = "Taiwan"
terms = ["Taiwan", "台湾"]
channels = ["desk"]

[[watch]]
name = "Chrome"
terms = ["Chengdu", "moderator", "Follow China.org.cn"]
channels = ["desk"]
"""
        )
    return monitor


def check(m: Monitor, desk: Receiver) -> tuple[list[str], list[dict]]:
    """One cycle: the titles the source's channel got, and the messages the desk got."""
    desk.received.clear()
    m.check()
    return m.receiver.titles(), list(desk.received)


def test_a_new_transcript_with_a_watched_term_alerts_the_watch_s_channel_once(
    watched: Monitor, desk: Receiver
) -> None:
    assert check(watched, desk) == ([], [])  # the baseline is quiet
    watched.apply_after()  # a new briefing with its transcript, an edit, a Q&A removed
    hook, told = check(watched, desk)
    assert sorted(m["title"] for m in told) == [
        f'[scio] Watch: Harvest: {HARVEST} — 1 mention of "combine harvesters"',
        f'[scio] Watch: Tax: {SCITECH} — 1 mention of "quarterly returns" removed, none left',
    ]
    harvest = next(m for m in told if "Harvest" in m["title"])
    assert (
        'page 1, Pei Shaolin: "More than 10 million combine harvesters and other machines will '
        "be in use, and we have asked local authorities to arrange drying capacity in advance so "
        'that grain harvested in wet weather does not spoil."'
    ) in harvest["message"]
    tax = next(m for m in told if "Tax" in m["title"])
    assert "page 2, Lu Jiaming:" in tax["message"] and "quarterly returns" in tax["message"]
    # The source's own channel gets the briefing events and never a watch.
    assert not [t for t in hook if "Watch" in t] and len(hook) == 3
    # Re-checks send nothing more, to either channel.
    assert check(watched, desk) == ([], [])


def test_a_term_only_in_the_page_chrome_never_matches(watched: Monitor, desk: Receiver) -> None:
    check(watched, desk)
    watched.apply_after()  # the NIA page gains a reader comment on Chengdu, and an edit
    _, told = check(watched, desk)
    assert told and not [m for m in told if "Chrome" in m["title"]]
    raw = (watched.site_dir / NIA).with_suffix(".html").read_text(encoding="utf-8")
    assert "Chengdu" in raw and "moderator" in raw  # there on the page, not in the transcript
    assert cli.main(["--config", str(watched.config_path), "watch-test", "Chengdu"]) == 0


def test_an_edit_adding_a_term_alerts_and_its_removal_alerts_once_each(
    watched: Monitor, desk: Receiver
) -> None:
    check(watched, desk)
    old = "illegal exits by Chinese citizens have been curbed"
    new = "illegal exits by Chinese citizens to Taiwan have been curbed"
    watched.edit(PAGE7, old, new)
    hook, told = check(watched, desk)
    assert len(hook) == 1 and hook[0].startswith(f"[scio] Edited: {NIA_TITLE} — ")
    assert [m["title"] for m in told] == [
        f"[scio] Watch: Taiwan: {NIA_TITLE} — 1 mention added, 2 in all"
    ]
    assert (
        'page 7, Liu Haitao: "First, in border areas, illegal exits by Chinese citizens to '
        in (told[0]["message"])
    )
    assert check(watched, desk) == ([], [])
    watched.edit(PAGE7, new, old)
    hook, told = check(watched, desk)
    assert [m["title"] for m in told] == [
        f"[scio] Watch: Taiwan: {NIA_TITLE} — 1 mention removed, 1 left"
    ]
    assert "Taiwan" in told[0]["message"]
    assert check(watched, desk) == ([], [])


def test_a_transcript_appended_to_its_topic_page_alerts_its_mentions(
    watched: Monitor, desk: Receiver
) -> None:
    with watched.config_path.open("a", encoding="utf-8") as f:
        f.write('\n[[watch]]\nname = "LNG"\nterms = ["lng"]\nchannels = ["desk"]\n')
    check(watched, desk)
    watched.apply_after()
    check(watched, desk)
    told = []
    for step in ("1-notice", "2-held", "3-transcript"):
        shutil.copytree(SEEDS / "lifecycle" / step, watched.site_dir, dirs_exist_ok=True)
        told += check(watched, desk)[1]
    (lng,) = told
    assert lng["title"].startswith("[scio] Watch: LNG: SCIO press conference on ensuring energy")
    assert lng["title"].endswith(" — 3 mentions")
    assert 'Reuters: "International LNG prices have been volatile this year."' in lng["message"]


def test_watch_test_shows_what_stored_transcripts_would_have_matched(
    watched: Monitor, desk: Receiver, capsys: pytest.CaptureFixture[str]
) -> None:
    check(watched, desk)
    capsys.readouterr()
    args = ["--config", str(watched.config_path), "watch-test"]
    assert cli.main([*args, "combine harvesters"]) == 0
    assert capsys.readouterr().out == "0 mention(s) in 0 of 6 briefing(s)\n"  # not in yet
    assert cli.main([*args, "TAIWAN"]) == 0
    out = capsys.readouterr().out.splitlines()
    assert out[0] == f"scio/117420451  2024-09-11  {NIA_TITLE} — 1 mention"
    assert out[1].startswith("  page ") and "Taiwan" in out[1]
    assert out[-1] == "1 mention(s) in 1 of 6 briefing(s)"
    assert cli.main([*args, "/rural (households|areas)/", "--json"]) == 0
    rows = json.loads(capsys.readouterr().out)
    assert rows and all(r["handle"].startswith("scio/") and r["quotes"] for r in rows)
    quote = rows[0]["quotes"][0]
    assert set(quote) == {"page", "speaker", "sentence", "words"}
    assert quote["words"].lower().startswith("rural ")
    assert cli.main([*args, "Chengdu"]) == 0
    assert capsys.readouterr().out.strip() == "0 mention(s) in 0 of 6 briefing(s)"
    assert cli.main([*args, "/(/"]) == cli.EXIT_USAGE
    assert cli.main([*args, "x", "--source", "nope"]) == cli.EXIT_USAGE
