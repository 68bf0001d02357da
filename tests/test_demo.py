"""`briefing-monitor demo` shows exactly the three expected alerts, none for the noise, then
one alert for each step of a briefing's life: announced, held, transcript, edited."""

from __future__ import annotations

import os
import runpy
import subprocess
import sys
import tomllib
import zipfile
from pathlib import Path

import httpx

from monitor.sitesrv import StaticServer

ROOT = Path(__file__).resolve().parent.parent
DEMO_SITE = ROOT / "monitor" / "demo_site"


HEATING = "SCIO press conference on ensuring energy supply for the heating season"


def test_demo_prints_three_alerts_then_one_per_step_of_a_briefings_life(tmp_path: Path) -> None:
    state = tmp_path / "state"
    proc = subprocess.run(
        [sys.executable, "-m", "monitor", "demo", "--state", str(state)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 0, proc.stderr
    alerts = [ln[3:] for ln in proc.stdout.splitlines() if ln.startswith("┌─ ")]
    # seeds/after: one check, three alerts in no particular order; nothing for the noise.
    assert sorted(alerts[:3]) == sorted(
        [
            "[scio] Edited: SCIO briefing on promoting high-quality development: National "
            "Immigration Administration — 1 figure changed (1 change)",
            "[scio] Edited: SCIO press conference on policies supporting scientific and "
            "technological innovation by enterprises — Q&A removed (Securities Times) "
            "(3 changes)",
            "[scio] New briefing: SCIO press conference on ensuring a good autumn grain harvest "
            "in 2024 — with its transcript, 435 words",
        ]
    )
    # seeds/lifecycle: a check after each step, one alert each, in this order.
    assert alerts[3:] == [
        "[scio] Announced: Notice of SCIO press conference on October 16 (10 a.m.)",
        f"[scio] New briefing: {HEATING} — transcript to follow",
        f"[scio] Transcript published: {HEATING} — 1,268 words",
        f"[scio] Edited: {HEATING} — 1 figure changed (1 change)",
    ]
    assert "│   …number of people caught fell by [-30%-] {+25%+} compared" in proc.stdout
    assert "[-32,000-] {+23,000+}" in proc.stdout and "│ page 1, Bai Xuelian:" in proc.stdout
    assert "scio: 1 new, 2 edited, 4 unchanged" in proc.stdout
    assert f"  ls {state}/archive/scio" in proc.stdout
    folders = [p for p in (state / "archive" / "scio").iterdir() if p.is_dir()]
    assert len(folders) == 8  # the six seeds, the harvest briefing, the heating one
    heating = next(p for p in folders if p.name.endswith("_9013862"))
    assert (heating / "notice-117514263").is_dir()  # the notice is filed under its briefing
    assert "show scio/9013862   (and its notice: scio/117514263)" in proc.stdout
    assert f"open {state}/archive/index.html in a browser" in proc.stdout
    assert not list((state / "outbox").glob("*.json"))  # every alert was delivered
    assert proc.stderr == ""


def test_the_demo_press_room_is_what_seeds_build_py_makes_of_seeds_text() -> None:
    """monitor/demo_site/ (package data) is generated; seeds/text is its source. A hand edit
    of a page, or a text edited without running `python seeds/build.py`, fails here."""
    build = runpy.run_path(str(ROOT / "seeds" / "build.py"))["build"]  # not run as __main__
    built, _ = build()
    on_disk = {
        p.relative_to(DEMO_SITE).as_posix(): p.read_text(encoding="utf-8")
        for p in DEMO_SITE.rglob("*")
        if p.is_file()
    }
    assert sorted(on_disk) == sorted(built), "run `python seeds/build.py`"
    stale = [rel for rel, text in built.items() if on_disk[rel] != text]
    assert not stale, f"differ from what seeds/build.py builds: {stale}"
    for part in ("site", "after", "lifecycle"):  # seeds/ shows people the same files
        assert (ROOT / "seeds" / part).resolve() == DEMO_SITE / part


def test_every_file_of_the_demo_press_room_is_named_as_package_data() -> None:
    """A file the package-data globs miss is absent from the wheel: the demo from pip or pipx
    would serve a press room with a hole in it."""
    config = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    patterns = config["tool"]["setuptools"]["package-data"]["monitor"]
    shipped = {p for pattern in patterns for p in (ROOT / "monitor").glob(pattern) if p.is_file()}
    files = {p for p in DEMO_SITE.rglob("*") if p.is_file()}
    assert len(files) == 49 and files == shipped


def test_the_demo_runs_from_a_zipped_package_with_no_clone_around_it(tmp_path: Path) -> None:
    """The package as a read-only zip on sys.path, run from a folder far from the clone: the
    demo finds its press room through importlib.resources, not next to the source tree."""
    package = tmp_path / "monitor.zip"
    with zipfile.ZipFile(package, "w") as zf:
        for path in sorted((ROOT / "monitor").rglob("*")):
            if path.is_file() and "__pycache__" not in path.parts:
                zf.write(path, path.relative_to(ROOT).as_posix())
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    env = {**os.environ, "PYTHONPATH": str(package)}
    where = subprocess.run(
        [sys.executable, "-c", "import monitor; print(monitor.__file__)"],
        cwd=elsewhere,
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    assert where.stdout.strip() == str(package / "monitor" / "__init__.py")
    proc = subprocess.run(
        [sys.executable, "-m", "monitor", "demo", "--state", str(tmp_path / "state")],
        cwd=elsewhere,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 0, proc.stderr
    alerts = [ln for ln in proc.stdout.splitlines() if ln.startswith("┌─ ")]
    assert len(alerts) == 7, proc.stdout
    assert "[-30%-] {+25%+}" in proc.stdout and "[-32,000-] {+23,000+}" in proc.stdout
    assert list(elsewhere.iterdir()) == []  # the demo writes to its own temp folder only


def test_the_demo_server_answers_files_with_etags_and_nothing_outside_its_folder(
    tmp_path: Path,
) -> None:
    (tmp_path / "site").mkdir()
    (tmp_path / "site" / "page.html").write_text("<p>a page</p>", encoding="utf-8")
    (tmp_path / "secret.txt").write_text("not served", encoding="utf-8")
    with StaticServer(tmp_path / "site") as srv, httpx.Client() as client:
        first = client.get(srv.url("/page.html"))
        assert first.status_code == 200 and first.text == "<p>a page</p>"
        assert first.headers["content-type"] == "text/html; charset=utf-8"
        etag = first.headers["etag"]
        again = client.get(srv.url("/page.html"), headers={"If-None-Match": etag})
        assert again.status_code == 304 and again.content == b""
        for path in ("/../secret.txt", "/%2e%2e/secret.txt", "/missing.html", "/"):
            assert client.get(srv.url(path)).status_code == 404, path
    assert not hasattr(srv, "faults")  # fault injection is the tests' (tests/faultserver.py)
