#!/usr/bin/env python3
"""The dashboard in a real browser: headless Chromium (Debian's chromium and chromium-driver) driven by selenium.

Starts rastrod over generated scans, signs in with an analyst token, and checks that every chart is drawn with as many
bars or points as the API has rows, that the filters change the numbers to what the API answers for them, that the
trace search shows the item's events, that the page logs no console error and carries its security headers; then
opens a `rastro report --html` file the same way. Exit status 1 on any failure.

Usage: dashboard_test.py BIN_DIR SCREENSHOT   (BIN_DIR holds the built rastro and rastrod; SCREENSHOT is the PNG to write)
"""
import json
import os
import socket
import subprocess
import sys
import tempfile
import time
import urllib.parse
import urllib.request

from selenium import webdriver
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import WebDriverWait

FAILURES = []


def check(condition, message):
    if not condition:
        FAILURES.append(message)
        print("FAIL:", message, flush=True)


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def api(port, token, route, parameters):
    query = urllib.parse.urlencode(dict(parameters, format="json"))
    request = urllib.request.Request(f"http://127.0.0.1:{port}/v1/{route}?{query}", headers={"Authorization": f"Bearer {token}"})
    with urllib.request.urlopen(request) as response:
        return json.load(response)


def browser():
    options = webdriver.ChromeOptions()
    options.binary_location = "/usr/bin/chromium"
    for argument in ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--window-size=1280,1700"]:
        options.add_argument(argument)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    return webdriver.Chrome(service=Service("/usr/bin/chromedriver"), options=options)


def wait_loaded(driver):
    try:
        WebDriverWait(driver, 30).until(lambda d: d.find_element(By.TAG_NAME, "body").get_attribute("data-loaded") == "true")
    except Exception:
        # What the page said, for whoever reads the failure.
        print("page error:", driver.find_element(By.ID, "error").text, flush=True)
        print("console:", driver.get_log("browser"), flush=True)
        raise


def console_errors(driver):
    return [entry for entry in driver.get_log("browser") if entry["level"] == "SEVERE"]


def count(driver, selector):
    return len(driver.find_elements(By.CSS_SELECTOR, selector))


def values(driver, selector):
    return [float(node.get_attribute("data-value")) for node in driver.find_elements(By.CSS_SELECTOR, selector)]


def check_charts(driver, answers, label):
    """Every panel drawn from `answers` (the API's rows for each dashboard question)."""
    check(count(driver, "svg[data-chart=productivity] rect.bar") == len(answers["productivity"]),
          f"{label}: productivity bars {count(driver, 'svg[data-chart=productivity] rect.bar')} != {len(answers['productivity'])} rows")
    check(sum(values(driver, "svg[data-chart=productivity] rect.bar")) == sum(row["delivered"] for row in answers["productivity"]),
          f"{label}: productivity bars do not add up to the API's deliveries")
    days = sorted({row["bucket"] for row in answers["daily"]})
    check(count(driver, "svg[data-chart=daily] circle.point") == len(days), f"{label}: daily points != {len(days)} days")
    check(count(driver, "svg[data-chart=states] rect[data-value]") == len(answers["states"]), f"{label}: state segments != rows")
    check(sum(values(driver, "svg[data-chart=states] rect[data-value]")) == sum(row["count"] for row in answers["states"]),
          f"{label}: state segments do not add up to the API's counts")
    check(count(driver, "svg[data-chart=durations] rect.bar") == len(answers["durations"]), f"{label}: duration bars != rows")
    check(count(driver, "svg[data-chart=returns] rect.bar[data-value]") == len(answers["returns"]), f"{label}: failed-attempt bars != rows")
    check(sum(values(driver, "svg[data-chart=returns] rect.bar-second[data-value]")) == sum(row["returned"] for row in answers["returns"]),
          f"{label}: return bars do not add up to the API's returns")
    check(count(driver, "table[data-table=overdue] tbody tr") == len(answers["overdue"]), f"{label}: overdue rows != API rows")


def dashboard_questions(port, token, filters):
    """The dashboard's questions, asked of the API directly (the page's own definitions, read from its script)."""
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/dashboard.js") as response:
        script = response.read().decode()
    start = script.index("const QUESTIONS = ") + len("const QUESTIONS = ")
    questions = json.loads(script[start:script.index(";\n", start)])
    answers = {}
    for question in questions:
        parameters = dict(question["fixed"])
        if question["window"]:
            parameters.update({key: filters[key] for key in ("from", "to") if key in filters})
        if question["center"] and "center" in filters:
            parameters["center"] = filters["center"]
        if question["at"] and "to" in filters:
            parameters["at"] = filters["to"]
        answers[question["name"]] = api(port, token, question["route"], parameters)
    return answers


def main():
    binaries, screenshot = sys.argv[1], sys.argv[2]
    rastro, rastrod = os.path.join(binaries, "rastro"), os.path.join(binaries, "rastrod")
    work = tempfile.mkdtemp(prefix="rastro-browser-")
    data = os.path.join(work, "data")
    scans = os.path.join(work, "scans.csv")
    subprocess.run([rastro, "generate", "--scans", "30000", "--seed", "7", "--out", scans], check=True, stderr=subprocess.DEVNULL)
    subprocess.run([rastro, "init", "--data", data, "--reasons", "standard"], check=True, stdout=subprocess.DEVNULL)
    subprocess.run([rastro, "import", scans, "--data", data, "--quiet"], check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    created = subprocess.run([rastro, "token", "create", "--analyst", "browser", "--data", data], check=True, capture_output=True, text=True)
    token = created.stdout.split()[-1]
    ports = [free_port() for _ in range(3)]
    server = subprocess.Popen([rastrod, "--data", data, "--binary-port", str(ports[0]), "--csv-port", str(ports[1]),
                               "--http-port", str(ports[2]), "--log-level", "warning"])
    port = ports[2]
    try:
        for _ in range(200):
            try:
                urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz")
                break
            except OSError:
                time.sleep(0.05)
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/") as response:
            policy = response.headers["Content-Security-Policy"] or ""
            check("frame-ancestors 'none'" in policy and "script-src 'self'" in policy and "'unsafe-inline'" not in policy,
                  f"Content-Security-Policy: {policy}")
            check(response.headers["Referrer-Policy"] == "no-referrer", "Referrer-Policy")
            check(response.headers["X-Content-Type-Options"] == "nosniff", "X-Content-Type-Options")

        driver = browser()
        try:
            driver.get(f"http://127.0.0.1:{port}/")
            WebDriverWait(driver, 30).until(lambda d: d.find_element(By.ID, "token").is_displayed())
            driver.find_element(By.ID, "token").send_keys(token)
            driver.find_element(By.CSS_SELECTOR, "#login-form button").click()
            wait_loaded(driver)
            check(token not in driver.current_url, "the token is in the URL")
            check_charts(driver, dashboard_questions(port, token, {}), "all data")

            # Filters: a window and a centre, kept in the URL; the numbers become the API's for them.
            center = api(port, token, "productivity", {"by": "work_center"})[0]["work_center"]
            filters = {"from": "2026-09-02", "to": "2026-09-05", "center": center}
            driver.execute_script("document.body.dataset.loaded = 'false'")
            for name, value in filters.items():
                field = driver.find_element(By.ID, f"filter-{name}")
                field.clear()
                field.send_keys(value)
            driver.find_element(By.CSS_SELECTOR, "#filters button").click()
            wait_loaded(driver)
            query = urllib.parse.parse_qs(urllib.parse.urlparse(driver.current_url).query)
            check(all(query.get(name) == [value] for name, value in filters.items()), f"filters not in the URL: {driver.current_url}")
            check_charts(driver, dashboard_questions(port, token, filters), "filtered")

            # A shared link opens the same view.
            driver.get(driver.current_url)
            wait_loaded(driver)
            check_charts(driver, dashboard_questions(port, token, filters), "shared link")

            # Trace search.
            item = subprocess.run([rastro, "export", "--data", data, "--quiet"], check=True, capture_output=True, text=True).stdout.split("\n")[1].split(",")[0]
            trace = api(port, token, f"items/{item}", {})
            driver.find_element(By.ID, "trace-id").send_keys(item)
            driver.find_element(By.CSS_SELECTOR, "#trace-form button").click()
            WebDriverWait(driver, 10).until(lambda d: count(d, "#trace-result li") > 0)
            shown = [node.get_attribute("data-event") for node in driver.find_elements(By.CSS_SELECTOR, "#trace-result li")]
            check(shown == [row["event"] for row in trace], f"trace shows {shown}, the API {[row['event'] for row in trace]}")
            driver.save_screenshot(screenshot)

            # A phone: the panels stack and nothing is wider than the screen (tables scroll inside their panel).
            driver.set_window_size(390, 844)
            overflow = driver.execute_script("return document.documentElement.scrollWidth - document.documentElement.clientWidth")
            check(overflow <= 0, f"the page is {overflow} px wider than a phone's screen")
            driver.set_window_size(1280, 1700)
            errors = console_errors(driver)
            check(not errors, f"console errors: {errors}")

            # The static report: the same views from the file alone.
            report = os.path.join(work, "report.html")
            subprocess.run([rastro, "report", "--html", report, "--data", data], check=True, stderr=subprocess.DEVNULL)
            driver.get("file://" + report)
            wait_loaded(driver)
            now_answers = dashboard_questions(port, token, {})
            # `at` defaults to the moment each asks: states and overdue of the report are those of when it was made.
            check_charts(driver, now_answers, "report")
            errors = console_errors(driver)
            check(not errors, f"report console errors: {errors}")
            check(count(driver, "#login:not([hidden])") == 0, "the report asks for a token")
        finally:
            driver.quit()
    finally:
        server.terminate()
        server.wait()
    if FAILURES:
        print(f"{len(FAILURES)} browser check(s) failed", flush=True)
        sys.exit(1)
    print(f"dashboard and report checked in headless Chromium; screenshot in {screenshot}", flush=True)


if __name__ == "__main__":
    main()
