"""Path safety: hostile titles and briefing ids (`../`, slashes, NUL, very long names, RTL and
CJK text) become safe, readable folder names inside STATE/archive and never name a path
outside it: as a property of Store.new_folder, and end to end through a real check of a site
whose links and titles are hostile. (Fixed examples of hostile titles: test_store.py.)"""

from __future__ import annotations

import asyncio
import html
import json
import unicodedata
from pathlib import Path, PurePosixPath

import pytest
from conftest import Receiver, write_config
from faultserver import FaultServer
from hypothesis import given, settings
from hypothesis import strategies as st

from monitor import config as config_mod
from monitor.cli import main
from monitor.cycle import run_check
from monitor.discover import safe_id
from monitor.model import EventKind
from monitor.store import Store

HOSTILE = st.one_of(
    st.text(max_size=300),
    st.sampled_from(["..", ".", "../../etc/passwd", "/abs", "a/b\\c", "\x00", "NUL\x00x", ""]),
    st.text(alphabet="./\\\x00-_ ", max_size=20),
    st.text(alphabet="国务院新闻办公室שלום‮‏‎\u200bA", min_size=100, max_size=400),
)
DATE = st.one_of(st.none(), st.sampled_from(["2024-09-11", "../../..", "2024/09/11", "\x00"]))


def assert_safe(store: Store, folder: str, source: str, printable: bool = True) -> str:
    """The folder is archive/<source>/<one name>, inside the archive, usable on disk."""
    parts = PurePosixPath(folder).parts
    assert parts[:2] == ("archive", source) and len(parts) == 3, folder
    name = parts[2]
    assert name not in (".", "..") and not name.startswith(".")
    assert not any(ch in name for ch in "/\\\x00")
    if printable:  # no control or bidi characters: `ls` shows what is there
        assert all(unicodedata.category(ch)[0] != "C" for ch in name), ascii(name)
    assert len(name.encode("utf-8")) <= 255
    path = store.root / folder
    assert path.resolve().is_relative_to((store.root / "archive").resolve())
    return name


PATHS = settings(max_examples=300, deadline=None, derandomize=True, database=None)


@PATHS
@given(title=HOSTILE, bid=HOSTILE, date=DATE)
def test_any_title_and_id_make_one_folder_inside_the_archive(
    tmp_path_factory: pytest.TempPathFactory, title: str, bid: str, date: str | None
) -> None:
    """Any id at all, even one that did not come through discover.safe_id."""
    store = Store(tmp_path_factory.getbasetemp() / "paths-state")
    name = assert_safe(store, store.new_folder("scio", bid, title, date), "scio", printable=False)
    (store.root / "archive" / "scio" / name).mkdir(parents=True, exist_ok=True)


@PATHS
@given(title=HOSTILE, link=HOSTILE, date=DATE)
def test_any_title_and_link_make_a_safe_readable_folder(
    tmp_path_factory: pytest.TempPathFactory, title: str, link: str, date: str | None
) -> None:
    """The pipeline's ids: discover.safe_id of whatever the link held."""
    store = Store(tmp_path_factory.getbasetemp() / "paths-state")
    name = assert_safe(store, store.new_folder("scio", safe_id(link), title, date), "scio")
    (store.root / "archive" / "scio" / name).mkdir(parents=True, exist_ok=True)
    # Readable: letters of the title (any script) survive into the name.
    letters = [ch for ch in unicodedata.normalize("NFKC", title) if ch.isalpha()]
    if letters:
        assert any(ch.lower() in name for ch in letters[:5]), (title, name)


@pytest.mark.parametrize("bid", ["\x1b[31mred", "a\nb", "\u202eexe.txt", "\x1f"])
def test_id_with_control_characters_gives_a_printable_folder(tmp_path: Path, bid: str) -> None:
    store = Store(tmp_path / "state")
    assert_safe(store, store.new_folder("scio", bid, "Title", "2024-09-11"), "scio")


# -- end to end ----------------------------------------------------------------------------------

# (link as it appears on the index, title on the page)
HOSTILE_BRIEFINGS = [
    ("/b/..%2F..%2F..%2Fetc%2Fpasswd.html", "../../../etc/passwd"),
    ("/b/a%2Fb%5Cc.html", "a/b\\c and C:\\Windows\\win.ini"),
    ("/b/%00nul.html", "NUL \x00 in the title"),
    ("/b/" + "x" * 300 + ".html", "国务院新闻办公室举行新闻发布会" * 20),
    ("/b/%D7%A9%D7%9C%D7%95%D7%9D.html", "שלום עולם: מסיבת עיתונאים"),
    ("/b/中文标题.html", "国务院新闻办公室 2024 年 9 月 11 日 发布会"),
    ("/b/rtl.html", "\u202etxt.exe \u200f briefing"),
    ("/b/..html", ".."),
    ("/b/.hidden.html", ".hidden"),
    ("/b/%2E%2E.html", "/"),
]


GENERIC = '[source.selectors]\nbody = "div.t"\nlink_pattern = "/b/(?P<id>.+)\\\\.html$"\n'


def page(title: str) -> bytes:
    safe = html.escape(title).replace("\x00", "&#0;")
    return (
        f'<html><head><meta charset="utf-8"><title>{safe}</title></head><body>'
        f'<h1>{safe}</h1><p class="date">2024-09-11</p><div class="t">'
        f"<p>Host: Good afternoon. This transcript is about {safe}.</p>"
        "<p>Speaker: We take questions now.</p></div></body></html>"
    ).encode()


def test_hostile_site_is_archived_inside_the_state_dir(tmp_path: Path) -> None:
    links = "".join(
        f'<li><a href="{href}">{html.escape(t).replace(chr(0), "&#0;")}</a></li>'
        for href, t in HOSTILE_BRIEFINGS
    )
    pages = {"/index.html": f"<html><body><ul>{links}</ul></body></html>".encode()}
    pages.update({href.split("#")[0]: page(title) for href, title in HOSTILE_BRIEFINGS})
    before = {p for p in tmp_path.parent.rglob("*")}
    with FaultServer(pages=pages) as srv, Receiver() as receiver:
        cfg = write_config(
            tmp_path / "config.toml",
            srv.url("/index.html"),
            receiver.url,
            profile="generic",
            source_extra=GENERIC + 'title = "h1"\ndate = ".date"\nlinks = "li a"\n',
        )
        config = config_mod.load(cfg)
        store = Store(config.monitor.state_dir)
        with store.locked():
            (report,) = asyncio.run(run_check(config, store))
    assert report.errors == []
    assert report.count(EventKind.NEW) == len(HOSTILE_BRIEFINGS)
    briefings = store.briefings()
    assert len({b.folder for b in briefings}) == len(HOSTILE_BRIEFINGS)
    for b in briefings:
        name = assert_safe(store, b.folder, "scio")
        assert name.startswith("2024-09-11_")
        assert (store.path(b) / "v001.txt").is_file()
    names = " ".join(PurePosixPath(b.folder).name for b in briefings)
    for readable in ("etc-passwd", "שלום-עולם", "国务院新闻办公室", "windows-win-ini"):
        assert readable in names, names
    # Nothing was written outside the state directory.
    state = store.root.resolve()
    new = {p for p in tmp_path.parent.rglob("*")} - before
    outside = [
        p
        for p in new
        if not p.resolve().is_relative_to(state) and p != store.root and p.parent != tmp_path
    ]
    assert outside == []
    for path in store.root.rglob("*"):
        assert path.resolve().is_relative_to(state), path
    # And every handle works with the CLI.
    for b in briefings:
        assert main(["--config", str(cfg), "show", f"scio/{b.briefing_id}", "--json"]) == 0


def test_history_lists_hostile_handles_as_json(tmp_path: Path, capsys) -> None:
    pages = {
        "/index.html": b'<ul><li><a href="/b/..%2Fx.html">x</a></li></ul>',
        "/b/..%2Fx.html": page("../x"),
    }
    with FaultServer(pages=pages) as srv, Receiver() as receiver:
        cfg = write_config(
            tmp_path / "config.toml",
            srv.url("/index.html"),
            receiver.url,
            profile="generic",
            source_extra=GENERIC,
        )
        assert main(["--config", str(cfg), "check"]) == 0
    capsys.readouterr()
    assert main(["--config", str(cfg), "history", "--json"]) == 0
    (item,) = json.loads(capsys.readouterr().out)
    assert "/" not in item["briefing_id"] and ".." not in item["briefing_id"].split("-")
    assert Path(item["path"]).resolve().is_relative_to((tmp_path / "state" / "archive").resolve())
