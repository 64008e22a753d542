"""The audit site in a real headless Chromium: every navigation link opens without a
console error, links lead from a threat to its evidence and back, diagram nodes open
their asset, tables filter and scroll, and a hostile name stays text."""

from __future__ import annotations

import functools
import http.server
import shutil
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from .conftest import EXAMPLE, edit

SITE_FOLDERS: dict[str, Path] = {}
"""The folder each served site was built into (for the file:// test)."""

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
    threats = sorted((root / "threats").glob("*.yaml"))[0]
    edit(
        threats,
        "title: Rogue gateway sends infusion commands or drug libraries to pumps",
        f"title: '{HOSTILE}'",
    )
    assert (
        main(["build", str(root), "-o", str(tmp / "out"), "--no-pdf", "--as-of", "2026-11-26"]) == 0
    )
    handler = functools.partial(
        http.server.SimpleHTTPRequestHandler, directory=str(tmp / "out" / "pump" / "site")
    )
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    url = f"http://127.0.0.1:{server.server_address[1]}"
    SITE_FOLDERS[url] = tmp / "out" / "pump" / "site"
    try:
        yield url
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
    for page in ("/threat-model.html", "/items/THR-001.html", "/items/index.html"):
        driver.get(site + page)  # type: ignore[attr-defined]
        assert driver.execute_script("return window.__pwned === undefined"), page  # type: ignore[attr-defined]
        with pytest.raises(NoAlertPresentException):
            driver.switch_to.alert.text  # type: ignore[attr-defined]  # noqa: B018
        text = driver.find_element(By.CSS_SELECTOR, "article").text  # type: ignore[attr-defined]
        assert "<script>window.__pwned = 1</script>" in text, page  # shown, as text


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


def _click_link(driver: object, section: str, text: str) -> None:
    """Click the link `text` in the item page section whose heading has id `section`."""
    from selenium.webdriver.common.by import By

    xpath = (
        f"//h2[@id='{section}']/following-sibling::*[1]//a[normalize-space()='{text}']"
        if section
        else f"//article//a[normalize-space()='{text}']"
    )
    driver.find_element(By.XPATH, xpath).click()  # type: ignore[attr-defined]


def _here(driver: object) -> str:
    url: str = driver.current_url  # type: ignore[attr-defined]
    return url.rsplit("/", 1)[-1]


def test_from_the_start_page_threat_to_evidence_and_back(site: str, browser: object) -> None:
    """THR -> CTL -> REQ -> TST -> EV by clicking links, then back by backlinks only."""
    from cyberfile.load.project import load_project

    from .conftest import EXAMPLE

    project = load_project(EXAMPLE).project
    assert project is not None
    test = next(
        t
        for t in project.tests.tests
        if t.evidence and any(v.startswith("REQ-") for v in t.verifies)
    )
    requirement = next(v for v in test.verifies if v.startswith("REQ-"))
    control = next(
        c for c in project.controls.controls if requirement in {r.id for r in c.requirements}
    )
    threat = next(t for t in project.threats.threats if control.id in t.controls)
    evidence = test.evidence[0]

    driver = browser
    driver.get(site + "/index.html")  # type: ignore[attr-defined]
    _errors(driver)
    _click_link(driver, "", "All items")
    assert _here(driver) == "index.html" and "/items/" in driver.current_url  # type: ignore[attr-defined]
    _click_link(driver, "", threat.id)
    assert _here(driver) == f"{threat.id}.html"
    _click_link(driver, "references", control.id)
    assert _here(driver) == f"{control.id}.html"
    _click_link(driver, "contains", requirement)
    assert _here(driver) == f"{requirement}.html"
    _click_link(driver, "referenced-by", test.id)
    assert _here(driver) == f"{test.id}.html"
    _click_link(driver, "references", evidence)
    assert _here(driver) == f"{evidence}.html"
    # and back, through what points at each item
    _click_link(driver, "referenced-by", test.id)
    assert _here(driver) == f"{test.id}.html"
    _click_link(driver, "references", requirement)
    assert _here(driver) == f"{requirement}.html"
    driver.find_element(
        "xpath", f"//p[@class='cf-meta']//a[normalize-space()='{control.id}']"
    ).click()  # type: ignore[attr-defined]
    assert _here(driver) == f"{control.id}.html"
    _click_link(driver, "referenced-by", threat.id)
    assert _here(driver) == f"{threat.id}.html"
    assert _errors(driver) == []


def test_item_pages_of_every_kind_open_without_console_errors(site: str, browser: object) -> None:
    from selenium.webdriver.common.by import By

    driver = browser
    driver.get(site + "/items/index.html")  # type: ignore[attr-defined]
    firsts = [
        a.get_attribute("href")
        for a in driver.find_elements(By.CSS_SELECTOR, "article table tbody tr:first-child a")  # type: ignore[attr-defined]
    ]
    assert len(firsts) >= 10  # one per kind
    _errors(driver)
    for link in firsts:
        driver.get(link)  # type: ignore[attr-defined]
        assert driver.find_element(By.CSS_SELECTOR, "article h1").text  # type: ignore[attr-defined]
        assert _errors(driver) == [], link


def test_a_diagram_node_opens_its_asset(site: str, browser: object) -> None:
    from selenium.webdriver.common.by import By

    driver = browser
    driver.get(site + "/security-architecture.html")  # type: ignore[attr-defined]
    nodes = driver.find_elements(By.CSS_SELECTOR, "figure.cf-diagram svg g.node a")  # type: ignore[attr-defined]
    assert nodes, "diagram nodes are links"
    node = next(
        n
        for n in nodes
        if "items/AST-" in (n.get_attribute("href") or n.get_attribute("xlink:href") or "")
    )
    target = node.get_attribute("href") or node.get_attribute("xlink:href")
    node.find_element(By.CSS_SELECTOR, "text").click()
    assert driver.current_url.endswith(target.rsplit("/", 1)[-1])  # type: ignore[attr-defined]
    assert driver.find_element(By.CSS_SELECTOR, "p.cf-meta").text.startswith("Asset")  # type: ignore[attr-defined]


def test_the_matrix_filters_sorts_and_scrolls_to_its_last_column(
    site: str, browser: object
) -> None:
    from selenium.webdriver.common.by import By

    driver = browser
    driver.get(site + "/traceability-matrix.html")  # type: ignore[attr-defined]
    table = max(
        driver.find_elements(By.CSS_SELECTOR, "article table"),  # type: ignore[attr-defined]
        key=lambda t: len(t.find_elements(By.CSS_SELECTOR, "tbody tr")),
    )
    rows = table.find_elements(By.CSS_SELECTOR, "tbody tr")
    box = driver.execute_script(  # type: ignore[attr-defined]
        "return arguments[0].closest('.md-typeset__table, .cf-table-wrap')", table
    )
    number = table.get_attribute("data-cf-filter")
    assert number, "a filter box above the table"
    search = driver.find_element(By.CSS_SELECTOR, f"input.cf-filter[data-cf-for='{number}']")  # type: ignore[attr-defined]
    query = rows[0].find_elements(By.TAG_NAME, "td")[0].text
    search.send_keys(query)
    shown = [r for r in rows if r.is_displayed()]
    assert 0 < len(shown) < len(rows)
    assert all(query.lower() in r.text.lower() for r in shown)
    search.clear()
    search.send_keys(" ")  # an empty filter shows everything again
    assert all(r.is_displayed() for r in rows)
    # the last column is reachable: the box scrolls when the table is wider
    last = table.find_elements(By.CSS_SELECTOR, "thead th")[-1]
    driver.execute_script("arguments[0].scrollLeft = arguments[0].scrollWidth", box)  # type: ignore[attr-defined]
    right = driver.execute_script("return arguments[0].getBoundingClientRect().right", last)  # type: ignore[attr-defined]
    width = driver.execute_script("return document.documentElement.clientWidth")  # type: ignore[attr-defined]
    assert right <= width + 1
    # sorting by the first column orders its rows
    first = table.find_elements(By.CSS_SELECTOR, "thead th")[0]

    def column() -> list[str]:
        return [
            r.find_elements(By.TAG_NAME, "td")[0].text
            for r in table.find_elements(By.CSS_SELECTOR, "tbody tr")
        ]

    first.click()
    ascending = column()
    first.click()
    descending = column()
    assert ascending[0] == descending[-1] and ascending[-1] == descending[0]
    assert ascending[0] != ascending[-1]
    assert _errors(driver) == []


def test_the_site_works_opened_from_disk(site: str, browser: object) -> None:
    """file://: no web server, no network; pages, links and table filters still work."""
    from selenium.webdriver.common.by import By

    driver = browser
    driver.get(site + "/index.html")  # type: ignore[attr-defined]
    folder = driver.execute_script("return document.location.pathname")  # type: ignore[attr-defined]
    assert folder == "/index.html"
    root = SITE_FOLDERS[site]
    driver.get((root / "index.html").as_uri())  # type: ignore[attr-defined]
    _errors(driver)
    driver.find_element(By.XPATH, "//article//a[normalize-space()='All items']").click()  # type: ignore[attr-defined]
    assert driver.current_url.startswith("file://") and driver.current_url.endswith(
        "items/index.html"
    )  # type: ignore[attr-defined]
    driver.get((root / "traceability-matrix.html").as_uri())  # type: ignore[attr-defined]
    assert driver.find_elements(By.CSS_SELECTOR, "input.cf-filter")  # type: ignore[attr-defined]
    assert driver.find_elements(By.CSS_SELECTOR, "a.cf-id")  # type: ignore[attr-defined]
    assert _errors(driver) == []
