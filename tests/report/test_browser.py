"""`xbench report` on real engine output, opened in headless Chromium through Selenium: the page
renders (not blank), the leaderboard has one row per run, clicking headers sorts, the figures load,
and nothing is fetched from the network.

Chromium and chromedriver come from Debian (`chromium`, `chromium-driver`). When they are missing the
set-up installs them (as root, with apt-get, with a timeout) and otherwise skips, saying why.
Selenium is pointed at both binaries, so selenium-manager never downloads a browser or driver.
"""

import io
import os
import shutil
import subprocess
import warnings

import pytest
from click.testing import CliRunner

from xbench.analysis.sources import load_runs
from xbench.cli import cli
from xbench.report.page import Cell, Report, Section, Table

APT_TIMEOUT = 600
CSS, TAG = "css selector", "tag name"  # selenium's CSS and TAG


def _binaries():
    chromium = shutil.which("chromium") or ("/usr/bin/chromium" if os.path.exists("/usr/bin/chromium") else None)
    driver = shutil.which("chromedriver") or ("/usr/bin/chromedriver" if os.path.exists("/usr/bin/chromedriver")
                                              else None)
    return chromium, driver


def _apt_install() -> str | None:
    """Install Debian's chromium and chromium-driver; None on success, else why not."""
    if not hasattr(os, "geteuid") or os.geteuid() != 0:
        return "not running as root, so apt-get cannot install them"
    if shutil.which("apt-get") is None:
        return "apt-get is not available on this machine"
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    command = ["apt-get", "install", "-y", "--no-install-recommends", "chromium", "chromium-driver"]
    try:
        done = subprocess.run(command, env=env, capture_output=True, text=True, timeout=APT_TIMEOUT)
        if done.returncode != 0:  # a fresh machine may have no package lists yet
            subprocess.run(["apt-get", "update"], env=env, capture_output=True, timeout=APT_TIMEOUT)
            done = subprocess.run(command, env=env, capture_output=True, text=True, timeout=APT_TIMEOUT)
    except (OSError, subprocess.TimeoutExpired) as err:
        return f"apt-get install failed ({err})"
    if done.returncode != 0:
        return f"apt-get install failed: {(done.stderr or done.stdout).strip().splitlines()[-1:]}"
    return None


def _skip(reason: str):
    reason = f"browser test skipped: {reason}"
    warnings.warn(reason)  # shown in the warnings summary even without -rs
    pytest.skip(reason)


@pytest.fixture(scope="module")
def browser():
    webdriver = pytest.importorskip("selenium.webdriver", reason="selenium is not installed (pip install -e '.[dev]')")
    from selenium.webdriver.chrome.service import Service

    chromium, driver_path = _binaries()
    if not (chromium and driver_path):
        why = _apt_install()
        chromium, driver_path = _binaries()
        if not (chromium and driver_path):
            _skip(f"chromium or chromedriver not found and not installed: {why or 'still missing after apt-get'}")
    options = webdriver.ChromeOptions()
    options.binary_location = chromium
    for arg in ("--headless=new", "--no-sandbox", "--disable-gpu", "--window-size=1280,1000",
                "--disable-dev-shm-usage", "--no-first-run", "--disable-extensions"):
        options.add_argument(arg)
    options.set_capability("goog:loggingPrefs", {"performance": "ALL", "browser": "ALL"})
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("SE_OFFLINE", "true")  # were selenium-manager consulted after all, it may not download
        try:
            driver = webdriver.Chrome(service=Service(executable_path=driver_path), options=options)
        except Exception as err:  # noqa: BLE001 - any start-up failure of the browser is a reason to skip
            _skip(f"chromium did not start ({type(err).__name__}: {str(err).splitlines()[0] if str(err) else ''})")
    driver.set_page_load_timeout(30)
    yield driver
    driver.quit()


@pytest.fixture(scope="module")
def report_page(engine_runs, tmp_path_factory):
    out = tmp_path_factory.mktemp("report") / "report.html"
    result = CliRunner().invoke(cli, ["report", *map(str, engine_runs), "--html", str(out), "--title", "tiny runs"])
    assert result.exit_code == 0, result.output
    assert result.output.startswith(f"wrote {out}: 3 runs, 12 cells, ")  # 3 languages × (2 + 1 + 1) seeds
    return out


def header_button(driver, table_id, name):
    for th in driver.find_elements(CSS, f"#{table_id} thead th"):
        if th.text.strip() == name:
            return th, th.find_element(TAG, "button")
    raise AssertionError(f"no header {name!r} in #{table_id}")


def column_sort_values(driver, table_id, index, kind):
    """The data-sort values of one column, top to bottom (None where a cell has none)."""
    values = driver.execute_script(
        "return Array.from(document.querySelectorAll('#' + arguments[0] + ' tbody tr'))"
        ".map(r => r.cells[arguments[1]].getAttribute('data-sort'));", table_id, index)
    return [None if v is None else (float(v) if kind == "number" else v) for v in values]


def expected_order(values, descending=False):
    present = sorted((v for v in values if v is not None), reverse=descending)
    return present + [None] * values.count(None)


def check_sorting(driver, table_id, name):
    th, button = header_button(driver, table_id, name)
    index = int(driver.execute_script("return arguments[0].cellIndex;", th))
    kind = th.get_attribute("data-kind")
    before = column_sort_values(driver, table_id, index, kind)
    button.click()
    assert th.get_attribute("aria-sort") == "ascending"
    after = column_sort_values(driver, table_id, index, kind)
    assert after == expected_order(before), (name, before, after)
    button.click()
    assert th.get_attribute("aria-sort") == "descending"
    assert column_sort_values(driver, table_id, index, kind) == expected_order(before, descending=True)
    return before


def test_report_in_a_real_browser(browser, report_page, engine_runs):
    from matplotlib import image

    browser.get(report_page.as_uri())
    assert browser.title == "tiny runs"

    # rendered, not blank: many colours and real variation in the screenshot
    pixels = image.imread(io.BytesIO(browser.get_screenshot_as_png()), format="png")
    assert pixels.shape[0] > 100 and pixels.shape[1] > 100
    colours = {tuple(p) for p in (pixels[::4, ::4, :3].reshape(-1, 3) * 255).astype(int).tolist()}
    assert len(colours) > 20 and float(pixels[..., :3].std()) > 0.02

    # the leaderboard: one row per run, named by its label
    labels = [r.label for r in load_runs(list(map(str, engine_runs)))]
    rows = browser.find_elements(CSS, "#leaderboard tbody tr")
    assert [r.find_elements(TAG, "td")[0].text for r in rows] == labels
    first = browser.find_element(CSS, "#leaderboard tbody tr td:nth-child(3)")
    assert "±" in rows[0].text  # the run with two seeds shows mean ± sd
    assert first.get_attribute("title")  # a tooltip with the metric, items and seeds

    # sorting: numbers and text, ascending then descending, against Python's sorted order
    values = check_sorting(browser, "leaderboard", "panx de")
    assert len(set(values)) > 1, values  # the runs differ, so the order is really tested
    check_sorting(browser, "leaderboard", "run")
    check_sorting(browser, "leaderboard", "panx mean")

    # the figures are embedded and decoded by the browser
    images = browser.find_elements(TAG, "img")
    assert len(images) == 2  # the heatmap and the per-language bars of panx
    for img in images:
        assert browser.execute_script("return arguments[0].complete && arguments[0].naturalWidth;", img) > 0
        assert img.get_attribute("src").startswith("data:image/png;base64,")

    # nothing outside the page: no http(s) link or source, no request but the file itself, no JS error
    links = browser.execute_script(
        "return Array.from(document.querySelectorAll('[src],[href]'))"
        ".map(e => e.getAttribute('src') || e.getAttribute('href'));")
    assert links and all(not link.lower().startswith(("http:", "https:", "//")) for link in links), links
    requests = [entry["message"] for entry in browser.get_log("performance")
                if '"Network.requestWillBeSent"' in entry["message"]]
    assert not [m for m in requests if '"url":"http' in m], requests
    assert not [e for e in browser.get_log("browser") if e["level"] == "SEVERE"]


def test_missing_values_sort_last_both_ways(browser, tmp_path):
    """The sorting script itself, on a table with ties, gaps and text (rendered by the page module)."""
    rows = [["b", Cell("2.0", 2.0)], ["a", Cell("missing", None, "no data")], ["C", Cell("10", 10.0)],
            ["a", Cell("-1", -1.0)], ["é", Cell("n/a", None)], ["b", Cell("2", 2.0)]]
    page = tmp_path / "table.html"
    page.write_text(Report("sorting", sections=[Section("s", [Table(["name", "value"], rows, id="t")])]).to_html(),
                    encoding="utf-8")
    browser.get(page.as_uri())
    values = check_sorting(browser, "t", "value")
    assert values.count(None) == 2
    check_sorting(browser, "t", "name")
    # text sorts by code point, like Python (é after the ASCII letters, C before a); ties keep the page order
    assert [r.text for r in browser.find_elements(CSS, "#t tbody tr")] == [
        "é n/a", "b 2.0", "b 2", "a missing", "a -1", "C 10"]


def test_skip_reason_without_root(monkeypatch):
    """Where apt-get cannot run, the set-up gives a reason instead of failing."""
    monkeypatch.setattr(os, "geteuid", lambda: 1000)
    assert _apt_install() == "not running as root, so apt-get cannot install them"
    monkeypatch.setattr(os, "geteuid", lambda: 0)
    monkeypatch.setattr(shutil, "which", lambda name: None)
    assert _apt_install() == "apt-get is not available on this machine"
