"""The HTML overview in a real browser: axe-core finds no WCAG 2.1 A/AA violation at 1280 and
320 px, the page reflows at 320 px (no horizontal scrolling, no word broken inside its letters,
table rows stacked with their column names), the timeline is reachable by keyboard, and the
timeline shows each status in words.

Needs Debian's `chromium` and `chromium-driver`, and axe-core from npm (`.ci/run` installs all
three; axe-core into `.ci/node`, or set AXE_CORE_JS to an `axe.min.js`). Without them the tests
are skipped with the reason, except in CI (`CI=true`), where a missing tool is a failure.
"""

from __future__ import annotations

import itertools
import os
import shutil
import tempfile
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import pytest
from test_accessibility import HTML, STATUS_HEADER, STATUS_ROWS, STATUS_WORDS, overview_of

from pipeline.core.model import Document
from pipeline.render.dispatch import render

from conftest import ROOT, TEMPLATES, write_xlsx

WIDTHS = (1280, 320)
AXE_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]
CHROMIUM_FLAGS = ("--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                  "--disable-background-networking", "--disable-component-update", "--disable-sync",
                  "--no-first-run")


def _axe_source() -> Path | None:
    """Return axe-core's `axe.min.js`: AXE_CORE_JS, or where `.ci/run` installs it."""
    candidates = [os.environ.get("AXE_CORE_JS", ""),
                  ROOT / ".ci" / "node" / "node_modules" / "axe-core" / "axe.min.js"]
    return next((Path(c) for c in candidates if c and Path(c).is_file()), None)


def _missing(reason: str) -> None:
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail(f"{reason} (.ci/run installs it)")
    pytest.skip(reason)


@pytest.fixture(scope="module")
def axe() -> str:
    source = _axe_source()
    if source is None:
        _missing("axe-core is not installed: npm install --prefix .ci/node axe-core@4")
    return source.read_text("utf-8")


@pytest.fixture(scope="module")
def browser() -> Iterator[object]:
    pytest.importorskip("selenium")
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    binary = next(filter(None, map(shutil.which, ("chromium", "chromium-browser"))), None)
    driver_path = shutil.which("chromedriver")
    if binary is None or driver_path is None:
        _missing("Chromium and its driver are not installed: apt-get install chromium chromium-driver")
    options = webdriver.ChromeOptions()
    options.binary_location = binary
    for flag in CHROMIUM_FLAGS:
        options.add_argument(flag)
    with tempfile.TemporaryDirectory(prefix="pipeline-chromium-") as profile:
        options.add_argument(f"--user-data-dir={profile}")
        driver = webdriver.Chrome(options=options, service=Service(driver_path))
        try:
            yield driver
        finally:
            driver.quit()


def open_page(browser, path: Path, width: int) -> None:
    """Load `path` in a viewport exactly `width` CSS pixels wide."""
    browser.execute_cdp_cmd("Emulation.setDeviceMetricsOverride",
                            {"width": width, "height": 900, "deviceScaleFactor": 1, "mobile": False})
    browser.get(path.as_uri())
    assert browser.execute_script("return window.innerWidth") == width


def run_axe(browser, axe: str) -> list[dict]:
    """Return axe-core's violations of WCAG 2.0/2.1 A and AA on the loaded page."""
    browser.execute_script(axe)
    result = browser.execute_async_script(
        "const done = arguments[arguments.length - 1];"
        "axe.run(document, {runOnly: {type: 'tag', values: arguments[0]}})"
        "   .then(r => done(r), e => done({error: String(e)}));", AXE_TAGS)
    assert "error" not in result, result
    assert result["passes"], "axe ran no rule"
    return result["violations"]


# Every word (letters between spaces, hyphens and slashes) in the page's text, and whether the
# browser laid it out on more than one line: a word broken inside its letters.
BROKEN_WORDS = """
const broken = [];
const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
for (let node = walker.nextNode(); node; node = walker.nextNode()) {
  const pattern = /[^\\s\\-\\u2013\\u2014\\/]+/g;
  let match;
  while ((match = pattern.exec(node.data)) !== null) {
    const range = document.createRange();
    range.setStart(node, match.index);
    range.setEnd(node, match.index + match[0].length);
    const tops = new Set(Array.from(range.getClientRects())
                         .filter(r => r.width > 0).map(r => Math.round(r.top)));
    if (tops.size > 1) broken.push(match[0]);
  }
}
return broken;
"""

# Elements whose content scrolls sideways, and whether a keyboard can reach them (tabindex) and
# a screen reader name them.
SCROLLING = """
return Array.from(document.querySelectorAll('body *')).filter(e => {
  const style = getComputedStyle(e);
  return ['auto', 'scroll'].includes(style.overflowX) && e.scrollWidth > e.clientWidth;
}).map(e => ({tag: e.tagName, focusable: e.tabIndex >= 0,
              named: Boolean(e.getAttribute('aria-label') || e.getAttribute('aria-labelledby'))}));
"""


def table_roles(browser) -> Counter:
    """Return how many table, row and cell roles Chromium's accessibility tree has."""
    tree = browser.execute_cdp_cmd("Accessibility.getFullAXTree", {})
    roles = Counter(node["role"]["value"] for node in tree["nodes"]
                    if "role" in node and not node.get("ignored"))
    return Counter({role: roles[role] for role in ("table", "row", "cell", "columnheader", "rowheader")})


@pytest.fixture(scope="module")
def sample_page(sample_documents: dict[str, Document], tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("web") / "implementeringsplan_2017.html"
    path.write_bytes(render(sample_documents[HTML], TEMPLATES))
    return path


@pytest.fixture(scope="module")
def status_page(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("web-status")
    documents = overview_of(write_xlsx(folder / "implementeringsplan_2017.xlsx", STATUS_ROWS,
                                       header=STATUS_HEADER))
    path = folder / "implementeringsplan_2017.html"
    path.write_bytes(render(documents[HTML], TEMPLATES))
    return path


@pytest.fixture(scope="module")
def lanes_page(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The status plan's page with its timeline drawn as one lane per theme (a long plan's)."""
    from pipeline.documents import overview as variables

    folder = tmp_path_factory.mktemp("web-lanes")
    documents = overview_of(write_xlsx(folder / "implementeringsplan_2017.xlsx", STATUS_ROWS,
                                       header=STATUS_HEADER))
    path = folder / "implementeringsplan_2017.html"
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(variables, "LANES_ABOVE", 5)
        path.write_bytes(render(documents[HTML], TEMPLATES))
    return path


@pytest.mark.parametrize("width", WIDTHS)
@pytest.mark.parametrize("page", ["sample_page", "status_page", "lanes_page"])
def test_axe_finds_no_wcag_violation(browser, axe: str, page: str, width: int,
                                     request: pytest.FixtureRequest, tmp_path: Path) -> None:
    open_page(browser, request.getfixturevalue(page), width)
    violations = run_axe(browser, axe)
    assert violations == [], [(v["id"], v["impact"], [n["target"] for n in v["nodes"]][:3])
                              for v in violations]
    # A screenshot at each width, to look at when this test fails (pytest keeps tmp_path).
    browser.save_screenshot(str(tmp_path / f"{page}-{width}.png"))


@pytest.mark.parametrize("width", [320, 400, 640, 1024, 1025, 1280])
@pytest.mark.parametrize("page", ["sample_page", "lanes_page"])
def test_page_reflows_without_horizontal_scrolling(browser, page: str, width: int,
                                                   request: pytest.FixtureRequest) -> None:
    open_page(browser, request.getfixturevalue(page), width)
    page_width, visible = browser.execute_script(
        "return [document.documentElement.scrollWidth, document.documentElement.clientWidth]")
    assert page_width <= visible, f"the page is {page_width} px wide in a {visible} px window"
    assert browser.execute_script(BROKEN_WORDS) == []
    for region in browser.execute_script(SCROLLING):
        assert region["focusable"] and region["named"], region


def test_table_rows_stack_with_their_column_names_at_320_px(browser, status_page: Path) -> None:
    open_page(browser, status_page, 1280)
    wide_roles = table_roles(browser)
    open_page(browser, status_page, 320)
    cells = browser.execute_script("""
        return Array.from(document.querySelectorAll('table.plan tbody tr:not(.gruppe)')).map(row =>
          Array.from(row.cells).map(cell => {
            const box = cell.getBoundingClientRect();
            const before = getComputedStyle(cell, '::before');
            return {label: cell.dataset.label, left: Math.round(box.left), top: box.top,
                    bottom: box.bottom, width: box.width, shown: before.display !== 'none'
                    && before.content !== 'none'};
          }));""")
    headers = ["Dato", "Tema", "Aktivitet", "Deltagerkreds", "Status"]
    assert len(cells) == len(STATUS_ROWS)
    for row in cells:
        assert [cell["label"] for cell in row] == headers
        assert all(cell["shown"] for cell in row)  # the column name is shown at each cell
        assert len({cell["left"] for cell in row}) == 1  # one under the other, not side by side
        assert all(a["bottom"] <= b["top"] + 0.5 for a, b in itertools.pairwise(row))
        assert all(cell["width"] > 250 for cell in row)
    # Stacked, the tables are still tables to a screen reader.
    assert table_roles(browser) == wide_roles and wide_roles["rowheader"] == len(STATUS_ROWS)


def test_timeline_is_reached_by_keyboard_and_named(browser, sample_page: Path) -> None:
    from selenium.webdriver.common.action_chains import ActionChains
    from selenium.webdriver.common.keys import Keys

    open_page(browser, sample_page, 1280)
    ActionChains(browser).send_keys(Keys.TAB).perform()
    focused = browser.execute_script(
        "const e = document.activeElement;"
        "return [e.className, e.getAttribute('role'), e.getAttribute('aria-label')];")
    assert focused == ["tidslinje-ramme", "region", "Tidslinje 2017"]


SIGNS = {"gennemført": "✓", "aflyst": "✕", "udskudt": "→"}


@pytest.mark.parametrize("width", WIDTHS)
def test_timeline_states_status_in_words_signs_and_patterns(browser, status_page: Path,
                                                            width: int) -> None:
    open_page(browser, status_page, width)
    rows = browser.execute_script("""
        return Array.from(document.querySelectorAll('table.tidslinje tbody tr')).map(row => {
          const shape = row.querySelector('.bjaelke, .maerke');
          const style = getComputedStyle(shape);
          return {text: row.innerText.replace(/\\s+/g, ' '), label: row.cells[0].innerText,
                  bar: shape.classList.contains('bjaelke') && !shape.classList.contains('loebende'),
                  look: [style.borderTopStyle, style.backgroundImage]};
        });""")
    statuses = [status for *_, status in STATUS_ROWS]
    assert len(rows) == len(statuses)
    bar_looks = {}
    for row, status in zip(rows, statuses):
        word = STATUS_WORDS.get(status)
        if word is None:
            assert not any(w in row["text"] for w in STATUS_WORDS.values()), row["text"]
            continue
        assert f"{SIGNS[word]} {word}" in row["text"], (status, row["text"])
        if row["bar"]:
            bar_looks.setdefault(status, set()).add(tuple(row["look"]))
    # A bar of each marked status, each unlike the others in pattern or border, not only colour.
    assert set(bar_looks) == set(STATUS_WORDS)
    assert all(len(looks) == 1 for looks in bar_looks.values())
    assert len({look for looks in bar_looks.values() for look in looks}) == len(STATUS_WORDS)
    labels = [row["label"] for row in rows]
    assert len(set(labels)) == len(labels)


def test_timeline_labels_tell_rows_apart_and_carry_the_full_text(browser, sample_page: Path) -> None:
    open_page(browser, sample_page, 1280)
    headers = browser.execute_script(
        "return Array.from(document.querySelectorAll('table.tidslinje tbody th'))"
        "  .map(th => [th.innerText, th.title]);")
    labels = [label for label, _ in headers]
    assert len(labels) == 13 and len(set(labels)) == 13
    for label, title in headers:
        if "…" in label:  # shortened: the full theme and activity are in the title
            assert title and len(title) > len(label) and ": " in title, (label, title)
