"""`slr serve` in a real headless browser (Debian's chromium, driven by Selenium): five works
screened with the keyboard, a reload, Back, the log on disk and a screenshot."""

from __future__ import annotations

import shutil
import struct
from pathlib import Path

import pytest
from serve_support import free_port, served_review, start_server

from slr.decisions import read_log

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
CHROMEDRIVER = shutil.which("chromedriver") or "/usr/bin/chromedriver"
pytestmark = pytest.mark.skipif(
    not (Path(CHROMIUM).exists() and Path(CHROMEDRIVER).exists()),
    reason="no headless browser: `apt-get install chromium chromium-driver` runs this test",
)


@pytest.fixture
def browser():
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for arg in (
        "--headless=new",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--no-first-run",
        "--window-size=1200,900",
    ):
        options.add_argument(arg)
    driver = webdriver.Chrome(options=options, service=Service(CHROMEDRIVER))
    try:
        yield driver
    finally:
        driver.quit()


def on_screen(driver) -> str | None:
    """The work id the page shows (None between pages)."""
    return driver.execute_script(
        "const w = document.getElementById('work'); return w ? w.dataset.work : null;"
    )


def png_size(path: Path) -> tuple[int, int]:
    data = path.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    return struct.unpack(">II", data[16:24])


def test_five_works_screened_with_the_keyboard(tmp_path, browser):
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import WebDriverWait

    review = served_review(tmp_path, n=8)
    protocol = tmp_path / "protocols" / "served.toml"
    port = free_port()
    server = start_server(protocol, port, {"SLR_CACHE_DIR": str(tmp_path / "cache")})
    wait = WebDriverWait(browser, 20)
    try:
        browser.get(f"http://127.0.0.1:{port}/login")
        browser.find_element(By.CSS_SELECTOR, 'button[value="alice"]').click()
        wait.until(lambda d: on_screen(d) == "scopus:r1")
        body = browser.find_element(By.TAG_NAME, "body")
        body.send_keys("?")  # the help: criteria and keys
        assert browser.find_element(By.ID, "help").is_displayed()
        body.send_keys("?")
        assert not browser.find_element(By.ID, "help").is_displayed()
        for n, key in enumerate("i1m2i", start=1):
            browser.find_element(By.TAG_NAME, "body").send_keys(key)
            wait.until(lambda d, n=n: on_screen(d) == f"scopus:r{n + 1}")
        browser.refresh()
        wait.until(lambda d: d.execute_script("return document.readyState") == "complete")
        assert on_screen(browser) == "scopus:r6"  # a reload shows the same next work
        browser.back()  # the previous page is fetched again, never posted again
        wait.until(lambda d: d.execute_script("return document.readyState") == "complete")
        assert on_screen(browser) == "scopus:r6"
        shot = tmp_path / "screen.png"
        assert browser.save_screenshot(str(shot))
        width, height = png_size(shot)
        assert width >= 800 and height >= 600 and shot.stat().st_size > 10_000
    finally:
        server.terminate()
        server.wait(30)
    logged = [(d.work_id, d.decision, d.criteria) for d in read_log(review, "alice")]
    assert logged == [
        ("scopus:r1", "include", ()),
        ("scopus:r2", "exclude", ("EC1",)),
        ("scopus:r3", "maybe", ()),
        ("scopus:r4", "exclude", ("EC2",)),
        ("scopus:r5", "include", ()),
    ]
