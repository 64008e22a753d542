"""The audit site in a real headless Chromium: every navigation link opens without a
console error, and a hostile component name stays text."""

from __future__ import annotations

import functools
import http.server
import shutil
import threading
from collections.abc import Iterator

import pytest

from .conftest import EXAMPLE, edit

HOSTILE = '<script>window.__pwned = 1</script><img src=x onerror="window.__pwned = 2">'

pytestmark = pytest.mark.slow  # a build, a web server and headless Chromium: ~8 s


def _chromium() -> tuple[str, str]:
    browser = shutil.which("chromium") or shutil.which("chromium-browser")
    driver = shutil.which("chromedriver")
    if not browser or not driver:
        pytest.fail(
            "Chromium and chromedriver are needed (Debian: chromium chromium-driver); "
            ".ci/run installs them"
        )
    return browser, driver


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """Build the example with a hostile component name and serve the site on loopback."""
    from cyberfile.cli import main

    tmp = tmp_path_factory.mktemp("site")
    root = tmp / "pump"
    shutil.copytree(EXAMPLE, root)
    edit(root / "sbom.yaml", "name: six", f"name: '{HOSTILE}'")
    assert (
        main(["build", str(root), "-o", str(tmp / "out"), "--no-pdf", "--as-of", "2026-11-26"]) == 0
    )
    handler = functools.partial(
        http.server.SimpleHTTPRequestHandler, directory=str(tmp / "out" / "pump" / "site")
    )
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()


@pytest.fixture(scope="module")
def browser(tmp_path_factory: pytest.TempPathFactory) -> Iterator[object]:
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    binary, driver_path = _chromium()
    options = webdriver.ChromeOptions()
    options.binary_location = binary
    for flag in (
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-background-networking",
        "--disable-component-update",
        "--no-first-run",
        "--disable-dev-shm-usage",
        f"--user-data-dir={tmp_path_factory.mktemp('chromium-profile')}",
    ):
        options.add_argument(flag)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    driver = webdriver.Chrome(service=Service(driver_path), options=options)
    driver.set_page_load_timeout(60)
    try:
        yield driver
    finally:
        driver.quit()


def _errors(driver: object) -> list[str]:
    logs = driver.get_log("browser")  # type: ignore[attr-defined]
    return [entry["message"] for entry in logs if entry["level"] == "SEVERE"]


def test_every_navigation_link_opens_without_console_errors(site: str, browser: object) -> None:
    from selenium.webdriver.common.by import By

    driver = browser
    driver.get(site + "/index.html")  # type: ignore[attr-defined]
    assert "Readiness" in driver.page_source  # type: ignore[attr-defined]
    links = sorted(
        {
            a.get_attribute("href")
            for a in driver.find_elements(By.CSS_SELECTOR, "nav.md-nav a.md-nav__link")  # type: ignore[attr-defined]
            if a.get_attribute("href") and a.get_attribute("href").startswith(site)
        }
    )
    pages = {link.split("#")[0] for link in links}
    assert len(pages) >= 16  # the landing page and the 15 documents
    _errors(driver)  # clear
    for page in sorted(pages):
        driver.get(page)  # type: ignore[attr-defined]
        title = driver.find_element(By.CSS_SELECTOR, "article h1").text  # type: ignore[attr-defined]
        assert title, page
        assert _errors(driver) == [], page
    for image in driver.find_elements(By.CSS_SELECTOR, "article img"):  # type: ignore[attr-defined]
        assert driver.execute_script("return arguments[0].naturalWidth", image) > 0  # type: ignore[attr-defined]


def test_hostile_component_name_does_not_execute(site: str, browser: object) -> None:
    from selenium.common.exceptions import NoAlertPresentException
    from selenium.webdriver.common.by import By

    driver = browser
    driver.get(site + "/sbom.html")  # type: ignore[attr-defined]
    assert driver.execute_script("return window.__pwned === undefined")  # type: ignore[attr-defined]
    with pytest.raises(NoAlertPresentException):
        driver.switch_to.alert.text  # type: ignore[attr-defined]  # noqa: B018
    text = driver.find_element(By.CSS_SELECTOR, "article").text  # type: ignore[attr-defined]
    assert "<script>window.__pwned = 1</script>" in text  # shown, as text


def test_search_finds_a_threat(site: str, browser: object) -> None:
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support import expected_conditions as ec
    from selenium.webdriver.support.ui import WebDriverWait

    driver = browser
    driver.get(site + "/index.html")  # type: ignore[attr-defined]
    driver.find_element(By.CSS_SELECTOR, "label.md-search__icon, label[for='__search']").click()  # type: ignore[attr-defined]
    box = driver.find_element(By.CSS_SELECTOR, "input.md-search__input")  # type: ignore[attr-defined]
    box.send_keys("THR-021")
    WebDriverWait(driver, 20).until(  # type: ignore[arg-type]
        ec.presence_of_element_located((By.CSS_SELECTOR, ".md-search-result__item"))
    )
    results = driver.find_elements(By.CSS_SELECTOR, ".md-search-result__item")  # type: ignore[attr-defined]
    assert results
