"""Bad input, generated: random and mutated HTML at the extractor and the index reader, random
and mutated TOML at the config loader. The only failure allowed is the typed one
(ExtractError, ConfigError naming the file); a transcript never holds the seeds' chrome.
Exact config messages are tested in test_config.py."""

from __future__ import annotations

import contextlib
import re
import shutil
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from bs4 import BeautifulSoup
from conftest import ROOT, SEEDS
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from monitor import config as config_mod
from monitor.discover import find_briefings, next_index_pages
from monitor.extract import ExtractError, PageText, extract_page, is_soft_404, read_page
from monitor.profiles import profile_for

SCIO = profile_for("scio")
SITE = SEEDS / "site" / "pressroom"
PAGES = sorted(SITE.rglob("content_*.htm*"))
INDEXES = sorted(SITE.glob("node_*.htm*"))
URL = "http://127.0.0.1:8000/pressroom/2024-09/11/content_117420451_3.html"
INDEX_URL = "http://127.0.0.1:8000/pressroom/node_9001234.htm"
CHROME = (
    "Comment(s)",
    "Adjust font size",
    "Follow China.org.cn",
    "ChinaNews App Download",
    "Bookmark and Share",
    "Go to Forum",
    "No comments.",
    "Add your comments",
    "Enter the words you see",
    "Racist, abusive",
    "Send your stories",
    "分享缩略图",
)
# The page's chrome blocks, each of which a mutation may move into the transcript body.
# (#footer and #top_nav are left out: the scio profile does not drop them yet, see
# test_footer_inside_the_body_is_still_chrome.)
CHROME_BLOCKS = (
    "div.share_img",
    "#guild",
    "#fontsize",
    "#autopage",
    "div.follow",
    "div.app",
    "div.tools",
    "#comment",
    "div.related",
)
# derandomize and no database: the same examples on every run, so CI is reproducible; run
# with `--hypothesis-seed=random` and more examples to explore.
FUZZ = settings(
    max_examples=60,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.too_slow],
)
CONFIG_FUZZ = settings(
    FUZZ, suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow]
)


def page_text(path: Path) -> str:
    return path.read_text(encoding="utf-8")


def tolerating_bad_urls(call: Callable[[], object]) -> None:
    """`call()`, letting through only the known crash on a malformed URL (urljoin's
    ValueError; see test_malformed_link_is_skipped_not_a_crash), so the properties keep
    guarding against every other one."""
    try:
        call()
    except ValueError as exc:
        if "IPv6" not in str(exc):
            raise


def extract(html: str) -> PageText | None:
    """extract_page, where only ExtractError may go wrong."""
    try:
        return extract_page(html, URL, SCIO)
    except ExtractError as exc:
        assert str(exc)
        return None


def assert_no_chrome(result: PageText | None) -> None:
    if result is None:
        return
    for para in result.paragraphs:
        for chrome in CHROME:
            assert chrome not in para, (chrome, para)


# -- random HTML --------------------------------------------------------------------------------

TAGS = [
    "p",
    "div",
    "span",
    "a",
    "br",
    "strong",
    "table",
    "tr",
    "td",
    "ul",
    "li",
    "h1",
    "center",
    "script",
    "style",
    "form",
    "iframe",
    "title",
    "meta",
    "img",
    "center",
    "b",
]
ATTRS = [
    'id="container_txt"',
    'id="autopage"',
    'class="follow"',
    'id="title"',
    'id="guild"',
    'href="content_117420451_4.html"',
    'href="2024-09/11/content_1.html"',
    'charset="gbk"',
    'href="javascript:x()"',
    'href="//x"',
    'class=""',
    "",
]
text = st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=40)


@st.composite
def html_trees(draw: st.DrawFn, depth: int = 0) -> str:
    parts = []
    for _ in range(draw(st.integers(0, 4))):
        kind = draw(st.integers(0, 3 if depth < 4 else 1))
        if kind <= 1:
            parts.append(draw(text))
        else:
            tag = draw(st.sampled_from(TAGS))
            attr = draw(st.sampled_from(ATTRS))
            inner = draw(html_trees(depth + 1))
            close = draw(st.sampled_from([f"</{tag}>", "", f"</{tag}"]))
            parts.append(f"<{tag} {attr}>{inner}{close}")
    return "".join(parts)


@FUZZ
@given(
    html=st.one_of(text, html_trees(), st.binary(max_size=300).map(lambda b: b.decode("latin-1")))
)
def test_random_html_gives_a_page_or_an_extract_error(html: str) -> None:
    extract(html)
    is_soft_404(html, URL, SCIO)
    tolerating_bad_urls(lambda: read_page(html, URL, URL, SCIO))
    tolerating_bad_urls(lambda: next_index_pages(html, INDEX_URL, SCIO))

    def listings() -> None:
        for item in find_briefings(html, INDEX_URL, SCIO):
            assert re.fullmatch(r"[A-Za-z0-9._-]+", item.briefing_id)

    tolerating_bad_urls(listings)


# -- mutated seed pages ---------------------------------------------------------------------------


@st.composite
def byte_mutations(draw: st.DrawFn) -> str:
    """A seed page cut, spliced, with junk inserted or a span repeated, as broken servers,
    proxies and CMS templates do."""
    html = page_text(draw(st.sampled_from(PAGES + INDEXES)))
    for _ in range(draw(st.integers(1, 4))):
        i = draw(st.integers(0, len(html)))
        j = draw(st.integers(i, min(len(html), i + 400)))
        op = draw(st.sampled_from(["cut", "delete", "insert", "repeat", "tag"]))
        if op == "cut":
            html = html[:i]
        elif op == "delete":
            html = html[:i] + html[j:]
        elif op == "insert":
            html = html[:i] + draw(text) + html[i:]
        elif op == "repeat":
            html = html[:j] + html[i:j] + html[j:]
        else:
            html = html[:i] + draw(html_trees()) + html[i:]
    return html


@FUZZ
@given(html=byte_mutations())
def test_mutated_seed_pages_give_a_page_or_an_extract_error(html: str) -> None:
    extract(html)
    tolerating_bad_urls(lambda: read_page(html, URL, URL, SCIO))
    tolerating_bad_urls(lambda: find_briefings(html, INDEX_URL, SCIO))
    tolerating_bad_urls(lambda: next_index_pages(html, INDEX_URL, SCIO))


@st.composite
def tree_mutations(draw: st.DrawFn) -> str:
    """A seed transcript page whose body is edited (paragraphs dropped, repeated, re-wrapped,
    new text) and whose chrome blocks are moved into the body, as a changed template would.
    The chrome is still chrome wherever it sits."""
    soup = BeautifulSoup(page_text(draw(st.sampled_from(PAGES))), "lxml")
    body = soup.select_one("#container_txt")
    assert body is not None
    for _ in range(draw(st.integers(1, 5))):
        paras = body.find_all("p")
        op = draw(st.sampled_from(["drop", "repeat", "wrap", "text", "move-chrome", "unwrap"]))
        if op == "move-chrome":
            block = soup.select_one(draw(st.sampled_from(CHROME_BLOCKS)))
            if block is not None:
                block.extract()
                kids = list(body.children)
                at = draw(st.integers(0, len(kids)))
                (kids[at - 1].insert_after(block) if at else body.insert(0, block))
        elif not paras:
            continue
        elif op == "drop":
            draw(st.sampled_from(paras)).decompose()
        elif op == "repeat":
            p = draw(st.sampled_from(paras))
            p.insert_after(BeautifulSoup(str(p), "lxml").p or "")
        elif op == "wrap":
            draw(st.sampled_from(paras)).wrap(
                soup.new_tag(draw(st.sampled_from(["div", "span", "td", "b"])))
            )
        elif op == "text":
            p = draw(st.sampled_from(paras))
            p.append(draw(text))
        else:
            draw(st.sampled_from(paras)).unwrap()
    return str(soup)


@FUZZ
@given(html=tree_mutations())
def test_chrome_never_reaches_a_transcript_even_inside_the_body(html: str) -> None:
    assert_no_chrome(extract(html))


@pytest.mark.parametrize("href", ["http://[::1", "http://[2001:db8::1/x.html", "https://a]b/"])
def test_malformed_link_is_skipped_not_a_crash(href: str) -> None:
    index = page_text(INDEXES[0]).replace("<ul>", f'<ul><li><a href="{href}">x</a></li>', 1)
    found = find_briefings(index, "http://127.0.0.1/pressroom/node_9001234.htm", SCIO)
    assert len(found) == 4
    next_index_pages(index.replace("<center>", f'<center><a href="{href}">2</a>'), URL, SCIO)
    page = page_text(PAGES[0]).replace("<center>", f'<center><a href="{href}">2</a>', 1)
    first = "http://127.0.0.1:8000/" + PAGES[0].relative_to(SEEDS / "site").as_posix()
    assert len(read_page(page, first, first, SCIO).links) == 7  # the other 7 pages, as before


@pytest.mark.parametrize("block", ["#footer", "#top_nav"])
def test_footer_inside_the_body_is_still_chrome(block: str) -> None:
    soup = BeautifulSoup(page_text(PAGES[0]), "lxml")
    chrome, body = soup.select_one(block), soup.select_one("#container_txt")
    assert chrome is not None and body is not None
    body.insert(0, chrome.extract())
    result = extract(str(soup))
    assert_no_chrome(result)
    assert result is not None
    assert not any(p.startswith(("Home |", "Home|")) for p in result.paragraphs), result


def test_every_seed_page_is_read_without_chrome() -> None:
    for path in PAGES:
        result = extract(page_text(path))
        assert result is not None and result.paragraphs, path
        assert_no_chrome(result)


# -- config ---------------------------------------------------------------------------------------

EXAMPLE = (ROOT / "config.example.toml").read_text(encoding="utf-8")


@pytest.fixture(scope="module")
def config_dir() -> Iterator[Path]:
    """A folder with the files the example config refers to (a urls_file)."""
    folder = Path(tempfile.mkdtemp(prefix="fuzz-config-"))
    (folder / "slack-url").write_text("json://127.0.0.1:9/hook\n", encoding="utf-8")
    yield folder
    shutil.rmtree(folder, ignore_errors=True)


def load(folder: Path, document: str) -> config_mod.Config | None:
    path = folder / "config.toml"
    path.write_text(document, encoding="utf-8", errors="surrogatepass")
    try:
        return config_mod.load(path)
    except config_mod.ConfigError as exc:
        message = str(exc)
        assert message.startswith(str(path)), message
        assert "\n" not in message.strip() or "TOML" in message, message
        return None


scalars = st.one_of(
    st.booleans(),
    st.integers(-(2**63), 2**63 - 1),
    st.floats(allow_nan=True, allow_infinity=True),
    text,
    st.sampled_from(['"15m"', "0", "-1", '"always"', '"http://x"', '"${NOPE}"', '"("', '"["']),
)
KEYS = [
    "monitor",
    "source",
    "channel",
    "name",
    "profile",
    "index_url",
    "interval",
    "notify",
    "selectors",
    "links",
    "link_pattern",
    "body",
    "urls",
    "urls_file",
    "tags",
    "events",
    "format",
    "digest",
    "recheck",
    "older",
    "3d",
    "timeout",
    "max_pages",
    "state_dir",
    "user_agent",
    "title_template",
    "max_changes",
    "apprise_config",
    "alert_max_age",
]


def toml_value(value: object) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return {"nan": "nan", "inf": "inf", "-inf": "-inf"}.get(repr(value), repr(value))
    if isinstance(value, str) and value.startswith('"'):
        return value
    if isinstance(value, str):
        return '"' + value.encode("unicode_escape").decode("ascii").replace('"', '\\"') + '"'
    return str(value)


@st.composite
def toml_documents(draw: st.DrawFn) -> str:
    lines = []
    for _ in range(draw(st.integers(0, 12))):
        kind = draw(st.integers(0, 4))
        key = draw(st.sampled_from(KEYS))
        if kind == 0:
            lines.append(f"[{key}]")
        elif kind == 1:
            lines.append(f"[[{key}]]")
        elif kind == 2:
            lines.append(f"[{draw(st.sampled_from(KEYS))}.{key}]")
        else:
            items = draw(st.lists(scalars, max_size=3))
            value = (
                "[" + ", ".join(map(toml_value, items)) + "]"
                if kind == 3
                else toml_value(draw(scalars))
            )
            lines.append(f"{key} = {value}")
    return "\n".join(lines) + "\n"


@st.composite
def mutated_example(draw: st.DrawFn) -> str:
    lines = EXAMPLE.replace("${BRIEFING_MONITOR_SMTP_URL}", "json://127.0.0.1:9/x").splitlines()
    for _ in range(draw(st.integers(1, 4))):
        i = draw(st.integers(0, len(lines) - 1))
        op = draw(st.sampled_from(["drop", "repeat", "value", "key", "chars", "uncomment"]))
        if op == "uncomment":  # the example's generic source and its selectors, switched on
            lines = [re.sub(r"^# (?=\[|[a-z_]+ = )", "", line) for line in lines]
        elif op == "drop":
            del lines[i]
        elif op == "repeat":
            lines.insert(i, lines[i])
        elif op == "value" and " = " in lines[i]:
            key = lines[i].split(" = ", 1)[0]
            lines[i] = f"{key} = {toml_value(draw(scalars))}"
        elif op == "key" and " = " in lines[i]:
            lines[i] = f"{draw(st.sampled_from(KEYS))} = {lines[i].split(' = ', 1)[1]}"
        elif lines[i]:
            j = draw(st.integers(0, len(lines[i]) - 1))
            lines[i] = lines[i][:j] + draw(text) + lines[i][j + 1 :]
        if not lines:
            break
    return "\n".join(lines) + "\n"


@settings(CONFIG_FUZZ, max_examples=150)
@given(document=st.one_of(toml_documents(), mutated_example()))
def test_any_config_document_loads_or_is_a_config_error(config_dir: Path, document: str) -> None:
    load(config_dir, document)


@settings(CONFIG_FUZZ, max_examples=80)
@given(document=mutated_example())
def test_a_config_that_loads_is_usable(config_dir: Path, document: str) -> None:
    """What the loader accepts, the pipeline can use: every source's profile and selectors
    work on a seed page (a bad regex or CSS selector is a config error, not a crash later)."""
    cfg = load(config_dir, document)
    assume(cfg is not None)
    assert cfg is not None
    index = page_text(INDEXES[0])
    for source in cfg.sources:
        profile = profile_for(source.profile, source.selectors)
        find_briefings(index, source.index_url, profile)
        next_index_pages(index, source.index_url, profile)
        with contextlib.suppress(ExtractError):
            extract_page(page_text(PAGES[0]), URL, profile)
        read_page(page_text(PAGES[0]), URL, URL, profile)


GENERIC = """[[source]]
name = "ministry"
profile = "generic"
index_url = "https://example.gov/briefings/"
[source.selectors]
body = "div.transcript"
"""


@pytest.mark.parametrize(
    "line",
    ['link_pattern = "("', 'links = "a[href"', "links = [1, 2]", 'title = ""'],
    ids=["bad-regex", "bad-css", "not-strings", "empty-selector"],
)
def test_bad_selector_is_a_config_error_not_a_crash_later(config_dir: Path, line: str) -> None:
    path = config_dir / "config.toml"
    path.write_text(GENERIC + line + "\n", encoding="utf-8")
    key = line.split(" = ")[0]
    with pytest.raises(config_mod.ConfigError, match=rf"^{re.escape(str(path))}: .*{key}"):
        config_mod.load(path)
