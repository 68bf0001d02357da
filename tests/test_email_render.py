"""The alert email as a reader sees it: the HTML parts captured over SMTP (aiosmtpd) after the
seeds/after check (the NIA figure edit 30% -> 25% on page 7, a dropped Q&A) are rendered in
headless Chromium at 420x800, light and dark; a small script measures the page; the change is
in the first screen, in colour, and every link opens.

`EMAIL_RENDER_DOCS=1 pytest tests/test_email_render.py` also rewrites the README screenshots
docs/email-edit.png and docs/slack-edit.png."""

from __future__ import annotations

import html
import json
import os
import re
import shutil
import struct
import subprocess
import threading
import urllib.request
import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import unquote, urlsplit

import pytest
from conftest import SEEDS, Receiver
from test_alerts import Mailbox, channel, make_monitor

from monitor.sitesrv import SiteServer

ROOT = Path(__file__).resolve().parent.parent
CHROMIUM = "/usr/bin/chromium"
WIDTH, HEIGHT = 420, 800
NEEDS_CHROMIUM = pytest.mark.skipif(
    not os.access(CHROMIUM, os.X_OK),
    reason="Debian's chromium is not installed at /usr/bin/chromium (apt-get install chromium)",
)

# Injected into the test's copy of the email only (the monitor's email has no script): it
# measures the laid-out page and writes the results, as JSON, into the <pre id="measure"> of
# the page around it. Headless Chromium's window is at least 500 px wide, so the email is laid
# out in a 420x800 <iframe srcdoc> (a viewport of its own, as a phone's mail app gives it).
MEASURE = """<script>
(function () {
  function box(el) {
    var r = el.getBoundingClientRect(), s = getComputedStyle(el);
    return {top: r.top, bottom: r.bottom, text: el.textContent, color: s.color,
            background: s.backgroundColor, border: s.borderLeftColor,
            line: s.textDecorationLine};
  }
  function all(sel) { return [].map.call(document.querySelectorAll(sel), box); }
  var main = document.querySelector("body > div");
  var out = {
    width: window.innerWidth, height: window.innerHeight,
    dark: window.matchMedia("(prefers-color-scheme: dark)").matches,
    scrollWidth: document.documentElement.scrollWidth,
    body: getComputedStyle(main).color,
    canvas: getComputedStyle(document.documentElement).backgroundColor,
    del: all("del"), ins: all("ins"), blocks: all("p"),
    links: [].map.call(document.querySelectorAll("a[href]"), function (a) {
      return {href: a.getAttribute("href"), color: getComputedStyle(a).color};
    }),
    text: main.innerText
  };
  parent.document.getElementById("measure").textContent = JSON.stringify(out);
})();
</script>"""


@dataclass
class Captured:
    """One check after seeds/after, with what the SMTP server and the chat webhook got."""

    emails: dict[str, str]  # "edit" / "qa" -> the HTML part
    chat: dict[str, str]  # "edit" / "qa" -> the Mattermost payload's text
    site: SiteServer
    state: Path


def _serve(server: SiteServer | Receiver) -> None:
    threading.Thread(
        target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
    ).start()


def _pick(items: dict[str, str]) -> dict[str, str]:
    """The edit alert and the dropped-Q&A alert, by their subject/title line."""
    out = {}
    for subject, body in items.items():
        if "National Immigration Administration" in subject and "figure" in subject:
            out["edit"] = body
        elif "Q&A removed (Securities Times)" in subject:
            out["qa"] = body
    assert set(out) == {"edit", "qa"}, list(items)
    return out


@pytest.fixture(scope="module", params=["path", "url"])
def captured(request: pytest.FixtureRequest, tmp_path_factory) -> Iterator[Captured]:
    """`path`: the default config (the archive line is the real file path); `url`: with
    `[archive] base_url` pointing at a local server of STATE/archive (the line is a link)."""
    tmp = tmp_path_factory.mktemp(f"email-{request.param}")
    site_dir = tmp / "site"
    shutil.copytree(SEEDS / "site", site_dir)
    archive = tmp / "state" / "archive"
    archive.mkdir(parents=True)
    receiver, site, archive_srv = Receiver(), SiteServer(site_dir), SiteServer(archive)
    for server in (receiver, site, archive_srv):
        _serve(server)
    box = Mailbox().start()
    port = receiver.server_address[1]
    extra = f'\n[archive]\nbase_url = "{archive_srv.url("/")}"\n' if request.param == "url" else ""
    channels = channel("email", box.url) + channel("chat", f"mmost://127.0.0.1:{port}/t") + extra
    try:
        m = make_monitor(tmp, site, site_dir, receiver, channels)
        m.check()
        box.messages.clear()
        m.apply_after()  # the page-7 edit 30% -> 25%, a dropped Q&A, a new briefing, noise
        m.check()
        emails = _pick({x["Subject"]: x.get_body(("html",)).get_content() for x in box.messages})
        chat = _pick({p["text"].splitlines()[0]: p["text"] for p in receiver.received})
        yield Captured(emails, chat, site, m.store.root.resolve())
    finally:
        box.stop()
        for server in (receiver, site, archive_srv):
            server.shutdown()
            server.server_close()


def framed(doc: str, height: int = HEIGHT) -> str:
    """A page that shows `doc` in a WIDTH x height frame at its top left corner."""
    return (
        '<!DOCTYPE html><html><head><meta charset="utf-8"></head><body style="margin:0">'
        f'<iframe srcdoc="{html.escape(doc, quote=True)}" width="{WIDTH}" height="{height}" '
        'style="border:0;display:block"></iframe><pre id="measure"></pre></body></html>'
    )


def chromium(args: list[str], tmp: Path, dark: bool = False) -> subprocess.CompletedProcess:
    flags = [
        CHROMIUM,
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--hide-scrollbars",
        "--force-color-profile=srgb",
        f"--user-data-dir={tmp / 'profile'}",
        "--window-size=500,1000",
    ]
    if dark:
        flags += ["--force-dark-mode", "--blink-settings=preferredColorScheme=0"]
    return subprocess.run(flags + args, capture_output=True, text=True, timeout=90)


def measure(doc: str, tmp: Path, dark: bool = False) -> dict:
    """Render the email at 420x800 and return what the injected script measured."""
    assert "<script" not in doc.lower()  # the monitor's email carries none
    page = tmp / ("dark.html" if dark else "light.html")
    page.write_text(framed(doc.replace("</body>", MEASURE + "</body>")), encoding="utf-8")
    done = chromium(["--dump-dom", page.as_uri()], tmp, dark)
    found = re.search(r'<pre id="measure">(.*?)</pre>', done.stdout, re.S)
    assert found, f"no measurement; chromium said: {done.stderr[-2000:]}"
    return json.loads(html.unescape(found[1]))


def rgb(css: str) -> tuple[int, ...]:
    return tuple(int(float(x)) for x in re.findall(r"[\d.]+", css)[:3])


def distance(a: str, b: str) -> int:
    return sum(abs(x - y) for x, y in zip(rgb(a), rgb(b), strict=True))


@NEEDS_CHROMIUM
@pytest.mark.parametrize("dark", [False, True], ids=["light", "dark"])
def test_the_figure_edit_is_in_the_first_screen_in_colour(
    captured: Captured, tmp_path: Path, dark: bool
) -> None:
    got = measure(captured.emails["edit"], tmp_path, dark)
    assert (got["width"], got["height"]) == (WIDTH, HEIGHT)
    assert got["dark"] is dark, "dark mode was not emulated"
    assert got["scrollWidth"] <= WIDTH, "the email scrolls sideways at 420 px"
    (old,), (new,) = got["del"], got["ins"]
    assert (old["text"], new["text"]) == ("30%", "25%")
    for mark in (old, new):  # visible without scrolling
        assert mark["top"] >= 0 and mark["bottom"] <= HEIGHT, mark
    body = got["body"]
    assert distance(old["color"], body) > 100 and distance(new["color"], body) > 100
    assert distance(old["color"], new["color"]) > 100  # red and green, not one colour
    assert old["line"] == "line-through" and "underline" not in new["line"]  # not a link
    assert rgb(old["color"])[0] > rgb(old["color"])[1]  # red-ish
    assert rgb(new["color"])[1] > rgb(new["color"])[0]  # green-ish
    # The marks keep their own background, so they read on a dark canvas as well.
    for mark in (old, new):
        assert distance(mark["color"], mark["background"]) > 200, mark
    if dark:  # the reader's dark scheme applies: light text (on the dark canvas)
        assert sum(rgb(body)) > 3 * 170, body
    # The sentence around the change reads in order, with its page and speaker.
    assert "page 7, Liu Haitao" in got["text"]
    assert "fell by 30% 25% compared with last year" in got["text"]


@NEEDS_CHROMIUM
def test_the_dropped_qa_is_one_block_in_the_first_screen(
    captured: Captured, tmp_path: Path
) -> None:
    got = measure(captured.emails["qa"], tmp_path)
    assert got["scrollWidth"] <= WIDTH
    (head,) = [b for b in got["blocks"] if "Securities Times asked" in b["text"]]
    (quote,) = [b for b in got["blocks"] if b["text"].startswith("Q: What tax support")]
    assert head["bottom"] <= HEIGHT and quote["top"] < HEIGHT, (head, quote)
    assert distance(quote["border"], got["body"]) > 100  # the removed block is marked red


def _check_archive(target: str, captured: Captured) -> None:
    """An archive page: on disk (a path) or served (a URL), with this version's anchor."""
    location, _, anchor = target.partition("#")
    assert anchor == "edit-v2", target
    if "://" in location:
        with urllib.request.urlopen(location, timeout=10) as answer:
            assert answer.status == 200
            page = answer.read().decode("utf-8")
    else:
        path = Path(unquote(location))
        assert path.is_file() and path.is_relative_to(captured.state / "archive"), path
        page = path.read_text(encoding="utf-8")
    assert f'id="{anchor}"' in page


@NEEDS_CHROMIUM
@pytest.mark.parametrize("kind", ["edit", "qa"])
def test_every_link_in_the_rendered_email_opens(
    captured: Captured, tmp_path: Path, kind: str
) -> None:
    got = measure(captured.emails[kind], tmp_path)
    hrefs = [a["href"] for a in got["links"]]
    transcript = [h for h in hrefs if "/pressroom/" in h]
    assert len(transcript) == 1
    page = "_7.html" if kind == "edit" else "_2.html"  # the page of the change
    assert transcript[0].endswith(page), transcript
    assert urlsplit(transcript[0]).netloc == urlsplit(captured.site.url("/")).netloc
    for href in hrefs:
        if href in transcript:
            with urllib.request.urlopen(href, timeout=10) as answer:
                assert answer.status == 200
        else:
            _check_archive(href, captured)
    archive = [h for h in hrefs if h not in transcript]
    if archive:  # with base_url the archive is a link (it opened above)
        assert len(archive) == 1 and "://" in archive[0]
    else:  # without it, the real file path as text, which must exist
        (line,) = [ln for ln in got["text"].splitlines() if "Archive:" in ln]
        _check_archive(line.split("Archive:", 1)[1].strip(), captured)
    for a in got["links"]:
        assert distance(a["color"], got["body"]) > 100  # a link looks like one


def _screenshot(doc: str, out: Path, tmp: Path, height: int) -> None:
    page = tmp / (out.stem + ".html")
    page.write_text(framed(doc, height), encoding="utf-8")
    shot = tmp / out.name
    done = chromium([f"--screenshot={shot}", page.as_uri()], tmp)
    assert shot.is_file(), done.stderr[-2000:]
    crop_png(shot, out, WIDTH, height)  # the empty bottom off, the file small


def crop_png(src: Path, dst: Path, width: int, keep: int) -> None:
    """The top left `width` x `keep` pixels of an 8-bit RGB(A) PNG, as RGB (stdlib only)."""
    data = src.read_bytes()
    pos, idat, ihdr = 8, b"", bytearray()
    while pos < len(data):
        n, kind = struct.unpack(">I4s", data[pos : pos + 8])
        if kind == b"IHDR":
            ihdr = bytearray(data[pos + 8 : pos + 8 + n])
        elif kind == b"IDAT":
            idat += data[pos + 8 : pos + 8 + n]
        pos += 12 + n
    w, h, _, ctype = struct.unpack(">IIBB", bytes(ihdr[:10]))
    bpp = {2: 3, 6: 4}[ctype]
    stride = w * bpp
    raw = zlib.decompress(idat)
    rows, prev = [], bytearray(stride)
    for y in range(min(h, keep)):
        f = raw[y * (stride + 1)]
        line = bytearray(raw[y * (stride + 1) + 1 : (y + 1) * (stride + 1)])
        for i in range(stride):
            a = line[i - bpp] if i >= bpp else 0
            b, c = prev[i], prev[i - bpp] if i >= bpp else 0
            if f == 1:
                line[i] = (line[i] + a) & 255
            elif f == 2:
                line[i] = (line[i] + b) & 255
            elif f == 3:
                line[i] = (line[i] + (a + b) // 2) & 255
            elif f == 4:
                p = a + b - c
                pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
                line[i] = (line[i] + (a if pa <= pb and pa <= pc else b if pb <= pc else c)) & 255
        rows.append(bytes(v for i, v in enumerate(line[: width * bpp]) if i % bpp < 3))
        prev = line
    struct.pack_into(">IIBB", ihdr, 0, min(w, width), len(rows), 8, 2)

    def chunk(kind: bytes, body: bytes) -> bytes:
        crc = struct.pack(">I", zlib.crc32(kind + body))
        return struct.pack(">I", len(body)) + kind + body + crc

    packed = zlib.compress(b"".join(b"\x00" + r for r in rows), 9)
    png = b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", bytes(ihdr)) + chunk(b"IDAT", packed)
    dst.write_bytes(png + chunk(b"IEND", b""))


@NEEDS_CHROMIUM
@pytest.mark.skipif(not os.environ.get("EMAIL_RENDER_DOCS"), reason="set EMAIL_RENDER_DOCS=1")
def test_write_the_readme_screenshots(captured: Captured, tmp_path: Path) -> None:
    if captured.emails["edit"].count("<a href=") < 2:
        pytest.skip("the screenshots show the base_url variant")
    docs = ROOT / "docs"
    docs.mkdir(exist_ok=True)
    _screenshot(captured.emails["edit"], docs / "email-edit.png", tmp_path, 560)
    chat = (
        '<!DOCTYPE html><html><head><meta charset="utf-8"></head>'
        '<body style="margin:0;background:#fff"><pre style="margin:12px 14px;white-space:'
        "pre-wrap;overflow-wrap:anywhere;font:14px/1.45 'DejaVu Sans Mono',monospace;"
        f'color:#1d1c1d">{html.escape(captured.chat["edit"])}</pre></body></html>'
    )
    _screenshot(chat, docs / "slack-edit.png", tmp_path, 560)
    for png in ("email-edit.png", "slack-edit.png"):
        assert (docs / png).stat().st_size < 150_000
