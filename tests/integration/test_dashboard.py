"""The dashboard (GET / on the HTTP port) in headless Chromium (Debian's chromium,
chromium-driver and python3-selenium): the page loads, lists a counter the test writes, the
value follows an increment without a reload (over the event stream), an alert and the
counter's history chart appear, the durability figures fill in; a screenshot is saved to
$TALLY_ARTIFACTS (or a temporary directory) as dashboard.png."""
import os
import tempfile
import time

import redis
from selenium import webdriver
from selenium.webdriver.chrome.options import Options
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By

from harness import Tallyd, run_tests


def browser():
    opts = Options()
    for a in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu",
              "--window-size=1200,900"):
        opts.add_argument(a)
    opts.binary_location = "/usr/bin/chromium"
    return webdriver.Chrome(service=Service("/usr/bin/chromedriver"), options=opts)


def wait_for(what, fn, timeout=15):
    deadline = time.time() + timeout
    last = None
    while time.time() < deadline:
        try:
            last = fn()
            if last:
                return last
        except Exception as e:  # noqa: BLE001 - the page may still be loading
            last = e
        time.sleep(0.1)
    raise AssertionError(f"timed out waiting for {what} (last: {last!r})")


def cell(driver, key):
    row = driver.find_element(By.CSS_SELECTOR, f'tr.counter[data-key="{key}"]')
    return row.find_element(By.CSS_SELECTOR, "td.value").text


def test_dashboard_live_values_history_alerts():
    with Tallyd(extra=["--history-keys", "dash:*", "--history-resolution", "100"]) as t:
        c = redis.Redis(port=t.port)
        for _ in range(3):
            c.incr("dash:visits")
            time.sleep(0.12)
        c.set("dash:signups", 7)
        c.set("elsewhere", 1)
        c.execute_command("TALLY.ALERT", "SET", "dash:visits", "ABOVE", 10)
        driver = browser()
        try:
            driver.get(t.url("/?prefix=dash:"))
            assert driver.title == "Tally"
            wait_for("the counters", lambda: cell(driver, "dash:visits") == "3")
            assert cell(driver, "dash:signups") == "7"
            assert not driver.find_elements(By.CSS_SELECTOR, 'tr[data-key="elsewhere"]')
            wait_for("the live stream", lambda: driver.find_element(By.ID, "status").text == "live")
            wait_for("durability figures",
                     lambda: int(driver.find_element(By.ID, "durable-lsn").text) > 0)
            assert float(driver.find_element(By.ID, "group-size").text) >= 1
            # The value follows writes without a reload.
            driver.execute_script("window.__sameDocument = true;")
            c.incrby("dash:visits", 10)
            wait_for("the new value", lambda: cell(driver, "dash:visits") == "13")
            c.set("dash:new", 1)
            wait_for("a new counter", lambda: cell(driver, "dash:new") == "1")
            assert driver.execute_script("return window.__sameDocument === true;")
            wait_for("the alert", lambda: "dash:visits went above 10" in
                     driver.find_element(By.ID, "alerts").text)
            # The history chart of the clicked counter.
            driver.find_element(By.CSS_SELECTOR, 'tr[data-key="dash:visits"]').click()
            wait_for("the chart's key",
                     lambda: driver.find_element(By.ID, "chart-key").text == "dash:visits")
            drawn = wait_for("the chart", lambda: driver.execute_script("""
                const c = document.getElementById('chart');
                const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
                let n = 0; for (let i = 3; i < d.length; i += 4) if (d[i] > 0) n++;
                return n;"""))
            assert drawn > 100, drawn
            out = os.environ.get("TALLY_ARTIFACTS") or tempfile.mkdtemp(prefix="tally-dash-")
            os.makedirs(out, exist_ok=True)
            path = os.path.join(out, "dashboard.png")
            assert driver.save_screenshot(path)
            assert os.path.getsize(path) > 10000
            print(f"  screenshot: {path}", flush=True)
        finally:
            driver.quit()


if __name__ == "__main__":
    run_tests([test_dashboard_live_values_history_alerts])
