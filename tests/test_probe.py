"""`briefing-monitor probe`: one page of the seeds/ press room (served on 127.0.0.1, or
saved to a file) read as the monitor would read it, shown as a person reads it, storing
nothing."""

from __future__ import annotations

import json
import os
import re
import socket
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest
from conftest import INDEX, NIA, write_config
from faultserver import SiteServer

from monitor import config as config_mod
from monitor.cli import main

ROOT = Path(__file__).resolve().parent.parent
TITLE = "SCIO briefing on promoting high-quality development: National Immigration Administration"


@pytest.fixture(autouse=True)
def no_config(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """No config.toml in reach: probe must work without one."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("BRIEFING_MONITOR_CONFIG", raising=False)
    monkeypatch.delenv("CONFIGURATION_DIRECTORY", raising=False)


def probe(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = main(["probe", *args])
    out, err = capsys.readouterr()
    return code, out, err


def suggested(out: str) -> dict[str, str]:
    """The lines under "Suggested selectors", read as TOML: what a user pastes."""
    lines = out.split("Suggested selectors (paste under [source.selectors]):\n", 1)[1]
    return tomllib.loads(lines)


def test_probe_of_an_index_lists_its_briefings_and_further_pages(
    site: SiteServer, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, err = probe(capsys, site.url(INDEX), "--profile", "scio")
    assert code == 0, err
    assert out.startswith(site.url(INDEX) + "\nprofile scio · utf-8 · one page read")
    assert "Page\n  no transcript text: none of #container_txt" in out
    assert "  4 briefing links:\n" in out
    assert f"  117420451  2024-09-11  {TITLE}\n" in out
    assert f"             {site.url(NIA + '.html')}\n" in out
    assert f"  1 further index page:\n  {site.url('pressroom/node_9001234_2.html')}" in out
    assert "Suggested selectors" not in out  # only the generic profile suggests


def test_probe_of_a_transcript_shows_what_the_monitor_reads(
    site: SiteServer, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, _ = probe(capsys, site.url(NIA + ".html"), "--profile", "scio")
    assert code == 0
    page = out.split("\nListing\n")[0]
    # Page 1 of 12 alone reads as the briefing's topic page (documents.classify says why).
    assert re.search(r"\n  kind       topic: .+, 288 words\n", page)
    assert "  id         117420451\n" in page
    assert f"  title      {TITLE}\n" in page
    assert "  date       2024-09-11 (the publication stamp" in page
    assert "  published  2024-09-11\n" in page
    assert "  speakers   Host, Liu Haitao\n" in page
    assert "  words      288 in 7 paragraphs\n" in page
    assert "  first      Host:\n" in page
    assert "  last       Over the past year, the NIA has focused on" in page
    assert "  dropped    none\n" in page
    assert "  pages      12 through the pager; probe reads this one\n" in page
    assert "    title    #title\n    date     #guild\n    body     #container_txt" in page
    # Its related links are briefing links too: both sections are shown.
    listing = out.split("\nListing\n")[1]
    assert "  4 briefing links:\n  117366105  2024-08-07  SCIO press conference" in listing


def test_probe_of_a_saved_page_shows_the_chrome_it_drops(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    html = (ROOT / "seeds/site" / (NIA + ".html")).read_text(encoding="utf-8")
    saved = tmp_path / "saved.html"
    saved.write_text(
        html.replace(
            "<p><strong>Host:</strong></p>", "<p>Adjust font size: A A A</p>\n<p>Host:</p>"
        ),
        encoding="utf-8",
    )
    code, out, _ = probe(capsys, str(saved), "--profile", "scio")
    assert code == 0
    assert out.startswith(saved.resolve().as_uri() + "\n")
    assert "  dropped    1 chrome line:\n             Adjust font size: A A A\n" in out
    assert "  first      Host:\n" in out
    # The related links are relative: a saved file needs the address it came from.
    assert "  no briefing links (links: a[href]; link_pattern: " in out
    assert "a saved file's relative links need --base-url URL" in out
    code, out, _ = probe(
        capsys, str(saved), "--profile", "scio", "--base-url", "http://127.0.0.1:8000/" + NIA
    )
    assert "  4 briefing links:\n  117366105  2024-08-07" in out


def test_probe_decodes_a_saved_gb2312_page(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    page = (
        '<html><head><meta http-equiv="Content-Type" content="text/html; charset=gb2312">'
        "<title>外交部发言人例行记者会</title></head><body><h1>2024年9月11日外交部发言人例行记者会</h1>"
        '<div class="TRS_Editor"><p>毛宁：</p><p>各位记者朋友，下午好。</p>'
        "<p>路透社记者：</p><p>请问发言人有何评论？</p></div></body></html>"
    )
    saved = tmp_path / "gb.html"
    saved.write_bytes(page.encode("gb2312"))
    code, out, _ = probe(capsys, str(saved), "--profile", "mfa-zh")
    assert code == 0
    assert "· gb18030 ·" in out.splitlines()[1]
    assert "  title      2024年9月11日外交部发言人例行记者会\n" in out
    assert "  date       2024-09-11 (held: from the title or a header line)\n" in out
    assert "  speakers   毛宁, 路透社记者\n" in out
    assert "  first      毛宁：\n" in out


def test_empty_sections_say_so(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    saved = tmp_path / "short.html"
    saved.write_text("<html><body><p>Nothing to see.</p></body></html>", encoding="utf-8")
    code, out, _ = probe(capsys, str(saved), "--base-url", "http://127.0.0.1:8000/short.html")
    assert code == 0
    assert "Page\n  no transcript text: none of article, main found and no paragraphs\n" in out
    assert "  no briefing links (links: a[href]; link_pattern: " in out
    assert "  no further index pages\n" in out
    assert out.endswith(
        "Suggested selectors (paste under [source.selectors]):\n"
        "# none: no block of paragraph text and no repeated list of links found\n"
    )


def test_generic_probe_suggests_selectors_ready_to_paste(
    tmp_path: Path, site: SiteServer, capsys: pytest.CaptureFixture[str]
) -> None:
    code, index, _ = probe(capsys, site.url(INDEX))  # generic is the default profile
    assert code == 0
    assert "profile generic" in index
    assert suggested(index) == {"links": "div.list ul a"}
    assert '\nlinks = "div.list ul a"  # 4 links, e.g. \'SCIO briefing on promoting' in index

    code, transcript, _ = probe(capsys, site.url(NIA + ".html"), "--profile", "generic")
    assert suggested(transcript)["body"] == "#container_txt"
    assert '\nbody = "#container_txt"  # 7 paragraphs, 300 words\n' in transcript
    assert "    body     fallback (no body selector matched)" in transcript

    # Pasted into a config, the lines validate; given back to probe, they read the site.
    pasted = [ln for ln in index.splitlines() if ln.startswith("links = ")]
    pasted += [ln for ln in transcript.splitlines() if ln.startswith("body = ")]
    (tmp_path / "cfg").mkdir()
    cfg = write_config(
        tmp_path / "cfg" / "config.toml",
        site.url(INDEX),
        "json://127.0.0.1:9/hook",
        profile="generic",
        source_extra="[source.selectors]\n" + "\n".join(pasted),
    )
    selectors = config_mod.load(cfg).sources[0].selectors
    assert selectors == {"links": "div.list ul a", "body": "#container_txt"}
    _, out, _ = probe(
        capsys, site.url(INDEX), *(f"--selector={k}={v}" for k, v in selectors.items())
    )
    assert "  4 briefing links:\n  content_117420451  2024-09-11  SCIO briefing" in out


def test_probe_uses_a_config_and_writes_no_state(
    tmp_path: Path, site: SiteServer, capsys: pytest.CaptureFixture[str]
) -> None:
    cfg = write_config(tmp_path / "config.toml", site.url(INDEX), "json://127.0.0.1:9/hook")
    code = main(["--config", str(cfg), "probe", site.url(INDEX), "--profile", "scio"])
    out, _ = capsys.readouterr()
    assert code == 0
    assert "  4 briefing links:" in out
    assert not (tmp_path / "state").exists()
    # A broken config named on the command line is a config error, as for every command.
    (tmp_path / "bad.toml").write_text("[monitor]\ntimeout = -1\n", encoding="utf-8")
    code = main(["--config", str(tmp_path / "bad.toml"), "probe", site.url(INDEX)])
    _, err = capsys.readouterr()
    assert code == 1
    assert "config error:" in err and "timeout" in err


def test_selector_applies_on_top_of_the_profile(
    site: SiteServer, capsys: pytest.CaptureFixture[str]
) -> None:
    url = site.url(NIA + ".html")
    _, before, _ = probe(capsys, url, "--selector", "body=#container_txt")
    assert "  last       1 2 3 4 5 6 7 8 9 10 11 12 >\n" in before  # the pager, read as text
    code, out, _ = probe(
        capsys,
        url,
        "--selector",
        "body=#container_txt",
        "--selector",
        "drop=#autopage",
        "--selector",
        "drop=.share_img",
        "--selector",
        "date=#guild",
        "--selector",
        "link_pattern=content_(?P<id>\\d+)\\.html$",
    )
    assert code == 0
    assert "  with body = #container_txt\n  with drop = #autopage, .share_img\n" in out
    assert "  last       Over the past year, the NIA has focused on" in out
    assert "  id         117420451\n" in out
    assert "  published  2024-09-11\n" in out
    assert "    date     #guild\n    body     #container_txt\n" in out
    # With the profile's own selector overridden, the scio index lists nothing.
    _, out, _ = probe(capsys, site.url(INDEX), "--profile", "scio", "--selector", "links=.none a")
    assert "  no briefing links (links: .none a; link_pattern: " in out


def test_probe_json_is_one_object_with_both_sections(
    site: SiteServer, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, _ = probe(capsys, site.url(NIA + ".html"), "--profile", "scio", "--json")
    assert code == 0
    data = json.loads(out)
    assert data["profile"] == "scio" and data["briefing_id"] == "117420451"
    page = data["page"]
    assert page["title"] == TITLE and page["speakers"] == ["Host", "Liu Haitao"]
    assert page["kind"] == "topic" and page["words"] == 288
    assert page["via"] == {"title": "#title", "date": "#guild", "body": "#container_txt"}
    assert len(data["pages"]) == 11
    assert [b["id"] for b in data["listing"]["briefings"]] == [
        "117366105",
        "117312974",
        "117265318",
        "117019836",
    ]
    assert data["suggestions"] == {}  # only the generic profile suggests

    _, out, _ = probe(capsys, site.url(INDEX), "--json")
    data = json.loads(out)
    assert data["page"] is None and data["page_error"].startswith("no transcript text")
    assert data["suggestions"]["links"]["selector"] == "div.list ul a"


@pytest.mark.parametrize(
    ("selector", "message"),
    [
        ("body=di[v", "error: --selector body: 'di[v' is not a valid CSS selector: "),
        ("bdy=div", "error: --selector bdy: unknown field; did you mean 'body'?"),
        ("link_pattern=(", "error: --selector link_pattern: '(' is not a valid regular "),
        ("body", "error: --selector 'body': write FIELD=CSS"),
        ("body= ", "error: --selector body: must be a non-empty string"),
    ],
)
def test_a_bad_selector_is_one_line_and_exit_2(
    site: SiteServer, capsys: pytest.CaptureFixture[str], selector: str, message: str
) -> None:
    requests = site.requests
    code, out, err = probe(capsys, site.url(INDEX), "--selector", selector)
    assert code == 2
    assert out == ""
    assert err.startswith(message) and err.count("\n") == 1
    assert site.requests == requests  # checked before anything is fetched


def test_an_unknown_profile_or_missing_file_is_a_usage_error(
    capsys: pytest.CaptureFixture[str],
) -> None:
    code, _, err = probe(capsys, "index.html", "--profile", "sico")
    assert (code, err) == (2, "error: unknown profile 'sico'; did you mean 'scio'?\n")
    code, _, err = probe(capsys, "missing.html")
    assert (code, err) == (2, "error: cannot read missing.html: No such file or directory\n")


def test_a_fetch_error_is_one_line_and_exit_3(capsys: pytest.CaptureFixture[str]) -> None:
    with socket.socket() as s:  # a port that was free a moment ago: nothing listens there
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    url = f"http://127.0.0.1:{port}/pressroom/node_1.htm"
    code, out, err = probe(capsys, url)
    assert code == 3
    assert out == ""
    assert err.startswith(f"error: {url}: cannot connect") and err.count("\n") == 1


def test_a_missing_page_is_a_fetch_error(
    site: SiteServer, capsys: pytest.CaptureFixture[str]
) -> None:
    code, _, err = probe(capsys, site.url("pressroom/nothing.html"))
    assert (code, err) == (3, f"error: {site.url('pressroom/nothing.html')}: HTTP 404\n")


EVIL = (
    "<html><head><title>t</title></head><body>"
    "<h1>Evil\x1b]0;pwned\x07 title\x9b2J</h1>"
    '<div id="text"><p>Spokesman\x1b[2J:</p><p>Words\r\x1b[1A of \u202ethe\u202c day. '
    + "More words. "
    * 30
    + "</p></div>"
    '<ul class="list"><li><a href="/a/1.html">One\x1b[31m</a></li>'
    '<li><a href="/a/2.html">Two</a></li><li><a href="/a/3.html">Three</a></li></ul>'
    "</body></html>"
)


@pytest.mark.parametrize("as_json", [False, True])
def test_control_characters_in_a_page_never_reach_the_terminal(
    site: SiteServer, site_dir: Path, capsys: pytest.CaptureFixture[str], as_json: bool
) -> None:
    (site_dir / "evil.html").write_text(EVIL, encoding="utf-8")
    code, out, _ = probe(capsys, site.url("evil.html"), *(["--json"] if as_json else []))
    assert code == 0
    for char in ("\x1b", "\x07", "\x9b", "\r", "\u202e"):
        assert char not in out
    text = json.dumps(json.loads(out), ensure_ascii=False) if as_json else out
    assert "Evil]0;pwned title2J" in text
    assert "Spokesman[2J" in text
    assert "One[31m" in text


def test_python_m_monitor_probe_runs_without_a_config(tmp_path: Path, site: SiteServer) -> None:
    work = tmp_path / "work"
    work.mkdir()
    env = {k: v for k, v in os.environ.items() if k != "BRIEFING_MONITOR_CONFIG"}
    proc = subprocess.run(
        [sys.executable, "-m", "monitor", "probe", site.url(NIA + ".html"), "--profile", "scio"],
        cwd=work,
        env={**env, "PYTHONPATH": str(ROOT)},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert proc.returncode == 0, proc.stderr
    assert f"  title      {TITLE}\n" in proc.stdout
    assert "    body     #container_txt" in proc.stdout
    assert list(work.iterdir()) == []  # no state dir, no file of any kind
