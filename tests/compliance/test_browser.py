"""The HTML report in a real headless Chromium: renders, lists every finding, charts, no errors."""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from govshare import Workspace
from govshare.compliance import check
from tests.compliance._helpers import grant, release_for

pytestmark = pytest.mark.browser

REQUIRE = os.environ.get("GOVSHARE_REQUIRE_BROWSER") == "1"
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
DRIVER = shutil.which("chromedriver")


@pytest.fixture(scope="module")
def browser(tmp_path_factory: pytest.TempPathFactory) -> Iterator[object]:
    """Debian's Chromium driven by Selenium through chromedriver, with a fresh profile."""
    if CHROMIUM is None or DRIVER is None:
        if REQUIRE:
            pytest.fail(
                "chromium and chromium-driver must be installed (GOVSHARE_REQUIRE_BROWSER=1)"
            )
        pytest.skip("chromium / chromedriver not installed")
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for flag in (
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--no-first-run",
        f"--user-data-dir={tmp_path_factory.mktemp('chromium-profile')}",
    ):
        options.add_argument(flag)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    driver = webdriver.Chrome(service=Service(DRIVER), options=options)
    yield driver
    driver.quit()


def _report_page(ws: Workspace, tmp_path: Path, lang: str) -> Path:
    grant(ws, 1)
    grant(ws, 2, impact_assessment=None)
    ws.budgets.set("income-2026", epsilon=1.0)
    import pandas as pd

    frame = pd.DataFrame({"person": range(20), "district": ["east", "west"] * 10})
    for requester in ("hrss", "mca", "hrss"):
        release_for(ws, frame, requester, epsilon=0.2, dataset="income-2026")
    ws.audit.checkpoint()
    path = tmp_path / f"report-{lang}.html"
    check(ws).to_html(path, lang=lang)  # type: ignore[arg-type]
    return path


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_html_report_renders_in_chromium(
    browser: object, sqlite_workspace: Workspace, tmp_path: Path, lang: str
) -> None:
    """The page renders, its table lists every finding, both charts are drawn, no console errors."""
    from selenium.webdriver.common.by import By
    from selenium.webdriver.remote.webdriver import WebDriver

    assert isinstance(browser, WebDriver)
    path = _report_page(sqlite_workspace, tmp_path, lang)
    report = check(sqlite_workspace)
    browser.get(path.as_uri())
    assert browser.find_element(By.TAG_NAME, "h1").text == (
        "合规审计报告" if lang == "zh" else "Compliance report"
    )
    rows = browser.find_elements(By.CSS_SELECTOR, "#findings-table tr.finding")
    assert [r.get_attribute("data-rule") for r in rows] == [f.rule for f in report.findings]
    assert [r.get_attribute("data-status") for r in rows] == [f.status for f in report.findings]
    failed = browser.find_element(By.ID, "finding-consent-impact-assessment")
    assert failed.get_attribute("data-status") == "fail"
    budget = browser.find_element(By.ID, "chart-budget")
    assert budget.is_displayed()
    assert budget.size["width"] > 100
    assert len(budget.find_elements(By.CSS_SELECTOR, "polyline.series")) == 1
    releases = browser.find_element(By.ID, "chart-releases")
    assert len(releases.find_elements(By.CSS_SELECTOR, "rect.bar")) == 2
    assert len(browser.find_elements(By.CSS_SELECTOR, "#guide-table tr.guide-item")) == 27
    logs = browser.get_log("browser")  # type: ignore[no-untyped-call]
    assert [e for e in logs if e["level"] in ("SEVERE", "WARNING")] == []
