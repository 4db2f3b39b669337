"""The studio in a real browser: Debian's headless Chromium, driven by Selenium through Debian's chromedriver,
against the real app served by uvicorn on a free port. The playground learns XOR on the page, the heat maps and
the warped input space draw, two tabs train apart; the graph view's gradients are the chain rule's values
computed here; the runs page draws a finished run's curves, and a running run's grow.

Nothing is downloaded: the browser and the driver are given by path (Selenium Manager stays idle); without them
the module is skipped with the apt command that installs them. BACKPROP_SCREENSHOTS=1 saves a screenshot of each
view into docs/studio/ (the pictures of docs/studio.md) and measures the page's frame rate and drawing time for
docs/studio/speed.json.
"""
import json
import math
import os
import shutil
import threading
import time
from pathlib import Path

import pytest

CHROMIUM = "/usr/bin/chromium"
CHROMEDRIVER = "/usr/bin/chromedriver"
INSTALL = "apt-get install chromium chromium-driver"


def _missing_browser():
    """The first of the browser and its driver that is not installed, or None."""
    for path in (CHROMIUM, CHROMEDRIVER):
        if not (os.path.isfile(path) and os.access(path, os.X_OK)):
            return path
    return None


if _missing_browser():
    pytest.skip(f"browser tests skipped: {_missing_browser()} is missing (Debian: {INSTALL})",
                allow_module_level=True)
pytest.importorskip("selenium", reason="browser tests skipped: selenium is missing (pip install -e '.[dev]')")
pytest.importorskip("starlette", reason="browser tests skipped: the serve extra is missing (pip install -e '.[dev]')")

import httpx  # noqa: E402
import uvicorn  # noqa: E402
from selenium import webdriver  # noqa: E402
from selenium.webdriver.chrome.service import Service  # noqa: E402
from selenium.webdriver.common.action_chains import ActionChains  # noqa: E402
from selenium.webdriver.common.by import By  # noqa: E402
from selenium.webdriver.support.ui import Select  # noqa: E402

from backprop.cli import main as backprop_command  # noqa: E402
from backprop.serve.app import create_app, open_socket  # noqa: E402

SCREENSHOTS = Path(__file__).resolve().parents[2] / "docs" / "studio"
RUN = "tiny-mlp"
# a run of `backprop train` small enough for a fixture (about 2 s): it finishes, with its report and curves
TINY_RUN = ["train", "--model", "mlp", "--model-option", "hidden=[8]", "--epochs", "2", "--no-augment",
            "--progress", "none"]
XOR_STEPS = 3000          # the playground must bring XOR's test loss under 0.1 within these steps
SPEED_SECONDS = 10        # how long the speed figure of docs/studio.md plays
WAIT_SECONDS = 30         # the most any one wait of these tests lasts


@pytest.fixture(scope="module")
def runs_root(tmp_path_factory):
    root = tmp_path_factory.mktemp("runs")
    assert backprop_command([*TINY_RUN, "--out", str(root / RUN)]) == 0
    return root


@pytest.fixture(scope="module")
def studio(runs_root):
    """The URL of the real app, served by uvicorn from a background thread on a free port."""
    sock = open_socket("127.0.0.1", 0)
    server = uvicorn.Server(uvicorn.Config(create_app(runs_root), log_level="warning", lifespan="off"))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    wait_until(lambda: server.started, "the server did not start")
    yield f"http://127.0.0.1:{sock.getsockname()[1]}"
    server.should_exit = True
    thread.join(10)
    sock.close()


@pytest.fixture(scope="module")
def browser(tmp_path_factory):
    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    profile = tmp_path_factory.mktemp("chromium-profile")
    for argument in ("--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                     "--disable-background-networking", "--disable-component-update", "--disable-sync",
                     f"--user-data-dir={profile}", "--window-size=1400,1150"):
        options.add_argument(argument)
    driver = webdriver.Chrome(service=Service(CHROMEDRIVER), options=options)
    yield driver
    driver.quit()
    shutil.rmtree(profile, ignore_errors=True)


def wait_until(condition, message, seconds=WAIT_SECONDS):
    """Poll ``condition`` until it returns something true (returned); fail with ``message`` after ``seconds``."""
    deadline = time.monotonic() + seconds
    while True:
        result = condition()
        if result:
            return result
        if time.monotonic() > deadline:
            pytest.fail(f"{message} within {seconds} s")
        time.sleep(0.05)


def shown(driver, selector, attribute=None):
    """An element's text (or one of its attributes) read in one step inside the page, so that a view redrawing it
    meanwhile cannot leave the test holding a removed element; None when there is no such element."""
    return driver.execute_script("""
        const e = document.querySelector(arguments[0]);
        return e === null ? null : arguments[1] === null ? e.textContent : e.getAttribute(arguments[1]);""",
                                 selector, attribute)


def text(driver, element_id):
    return (shown(driver, f"#{element_id}") or "").strip()


def number(driver, element_id):
    """The number an element shows (None while it shows none yet)."""
    try:
        return float(text(driver, element_id))
    except ValueError:
        return None


def choose(driver, element_id, value):
    Select(driver.find_element(By.ID, element_id)).select_by_value(value)


def colours_drawn(driver, canvas):
    """How many different colours a canvas's pixels have, up to 3 (a blank canvas has 1)."""
    return driver.execute_script("""
        const canvas = arguments[0];
        const data = canvas.getContext("2d").getImageData(0, 0, canvas.width, canvas.height).data;
        const seen = new Set();
        for (let i = 0; i < data.length && seen.size < 3; i += 4) {
            seen.add((data[i] << 24) | (data[i + 1] << 16) | (data[i + 2] << 8) | data[i + 3]);
        }
        return seen.size;""", canvas)


def pixels_of_colour(driver, canvas, colour, tolerance=70):
    """How many of a canvas's pixels are within ``tolerance`` (per channel) of the colour "#rrggbb": a chart's
    frame and labels are grey (#ccc, #555 and lighter), so a line's own colour shows that the line itself was
    drawn. 70 takes in the pixels a 1.5-pixel line covers at least 3/4 (every line has some) and no grey."""
    return driver.execute_script("""
        const [canvas, hex, tolerance] = arguments;
        const want = [1, 3, 5].map((k) => parseInt(hex.slice(k, k + 2), 16));
        const data = canvas.getContext("2d").getImageData(0, 0, canvas.width, canvas.height).data;
        let count = 0;
        for (let i = 0; i < data.length; i += 4) {
            if (want.every((c, k) => Math.abs(data[i + k] - c) <= tolerance)) count += 1;
        }
        return count;""", canvas, colour, tolerance)


def assert_drawn(driver, canvases, what):
    assert canvases, f"no {what} on the page"
    for canvas in canvases:
        assert canvas.is_displayed(), f"{what} {canvas.get_attribute('id')} is hidden"
        assert colours_drawn(driver, canvas) > 1, f"{what} {canvas.get_attribute('id')} is blank"


MAKING_DOCS = os.environ.get("BACKPROP_SCREENSHOTS") == "1"


def screenshot(driver, name):
    if MAKING_DOCS:
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        driver.save_screenshot(str(SCREENSHOTS / f"{name}.png"))


def open_view(driver, url):
    driver.get(url)
    driver.refresh()  # a new page even when only the hash differs from the last test's
    wait_until(lambda: driver.execute_script("return document.readyState") == "complete", f"{url} did not load")


def test_the_playground_learns_xor_on_the_page_and_draws_its_heat_maps(studio, browser):
    open_view(browser, f"{studio}/#playground")
    wait_until(lambda: number(browser, "test-loss") is not None, "no first frame")
    choose(browser, "dataset", "xor")
    choose(browser, "activation", "tanh")
    for _ in range(2):  # the default hidden layers 4, 2 become 4, 4
        browser.find_element(By.ID, "units-plus-2").click()
    choose(browser, "steps-per-frame", "50")
    assert (text(browser, "units-1"), text(browser, "units-2")) == ("4", "4")
    browser.find_element(By.ID, "play").click()

    def learned_or_too_long():
        """The step count and test loss shown (read together: of one frame), once the loss is under 0.1 or the
        steps are too many."""
        steps, loss = map(float, browser.execute_script(
            "return ['step-count', 'test-loss'].map((id) => document.getElementById(id).textContent)"))
        return (steps, loss) if loss < 0.1 or steps > XOR_STEPS else None

    steps, loss = wait_until(learned_or_too_long, "the playground did not train")
    browser.find_element(By.ID, "pause").click()
    assert loss < 0.1, f"test loss {loss} after {steps:.0f} steps"
    assert 0 < steps <= XOR_STEPS
    assert 0 <= number(browser, "train-loss") < 0.2
    assert len(browser.find_elements(By.CSS_SELECTOR, "#network path.link")) == 2 * 4 + 4 * 4 + 4 * 1
    assert_drawn(browser, browser.find_elements(By.CSS_SELECTOR, "#network canvas.unit-map"), "unit heat map")
    assert len(browser.find_elements(By.CSS_SELECTOR, "#network canvas.unit-map")) == 2 + 4 + 4 + 1
    assert_drawn(browser, [browser.find_element(By.ID, "output-map"), browser.find_element(By.ID, "loss-curve")],
                 "output canvas")
    assert pixels_of_colour(browser, browser.find_element(By.ID, "loss-curve"), "#000000") > 0, "no test-loss line"
    assert not browser.find_element(By.ID, "warped").is_displayed()  # the first hidden layer has 4 units

    link = browser.find_elements(By.CSS_SELECTOR, "#network path.link-hit")[0]
    ActionChains(browser).move_to_element(link).perform()
    wait_until(lambda: "weight" in text(browser, "link-info"), "hovering a link showed nothing")
    assert "gradient dL/dw" in text(browser, "link-info")
    stats = browser.execute_script("return window.studioStats")
    assert stats["frames"] >= 2 and stats["meanDrawMs"] > 0
    screenshot(browser, "playground")


def test_the_warped_input_space_draws_when_the_first_hidden_layer_has_two_units(studio, browser):
    open_view(browser, f"{studio}/#playground")
    wait_until(lambda: number(browser, "test-loss") is not None, "no first frame")
    assert browser.find_element(By.ID, "warped-note").is_displayed()
    for _ in range(2):  # the default hidden layers 4, 2 become 2, 2
        browser.find_element(By.ID, "units-minus-1").click()
    choose(browser, "learning-rate", "0.1")
    choose(browser, "steps-per-frame", "50")
    browser.find_element(By.ID, "play").click()
    wait_until(lambda: (number(browser, "step-count") or 0) >= 500, "the playground did not train")
    browser.find_element(By.ID, "pause").click()
    assert_drawn(browser, [browser.find_element(By.ID, "warped")], "warped input space")
    assert not browser.find_element(By.ID, "warped-note").is_displayed()
    screenshot(browser, "playground-warped")
    browser.find_element(By.ID, "export").click()
    code = wait_until(lambda: browser.find_element(By.ID, "export-code").get_attribute("textContent"),
                      "export as Python showed no code")
    expected = httpx.post(f"{studio}/api/playground/export", json={"hidden": [2, 2], "learning_rate": 0.1})
    assert code == expected.json()["code"]  # the program of the page's config: the edits made above


def test_two_tabs_train_their_own_networks(studio, browser):
    open_view(browser, f"{studio}/#playground")
    wait_until(lambda: text(browser, "step-count") == "0", "no first frame in the first tab")
    first = browser.current_window_handle
    browser.switch_to.new_window("tab")
    try:
        open_view(browser, f"{studio}/#playground")
        wait_until(lambda: text(browser, "step-count") == "0", "no first frame in the second tab")
        choose(browser, "steps-per-frame", "10")
        browser.find_element(By.ID, "play").click()
        wait_until(lambda: float(text(browser, "step-count")) >= 100, "the second tab did not train")
        browser.find_element(By.ID, "pause").click()
    finally:
        browser.close()
        browser.switch_to.window(first)
    assert text(browser, "step-count") == "0"  # the first tab's network did not move
    browser.find_element(By.ID, "step").click()
    wait_until(lambda: text(browser, "step-count") == "1", "the first tab did not step")


def test_the_graph_view_shows_tanh_w_x_b_and_its_gradient_of_w_after_backward(studio, browser):
    open_view(browser, f"{studio}/#graph")
    assert browser.find_element(By.ID, "expression").get_attribute("value") == "tanh(w*x + b)"
    wait_until(lambda: browser.find_elements(By.ID, "value-w"), "the graph of tanh(w*x + b) did not draw")
    w, x, b = 0.7, -1.3, 0.4
    for name, value in (("w", w), ("x", x), ("b", b)):
        field = browser.find_element(By.ID, f"value-{name}")
        field.clear()
        field.send_keys(str(value))
    browser.find_element(By.ID, "graph-draw").click()
    wait_until(lambda: shown(browser, '[data-name="x"] .node-value') == f"value {x}",
               "the graph did not redraw with the values typed in")
    labels = [node.text for node in browser.find_elements(By.CSS_SELECTOR, "#graph-svg .node-label")]
    assert len(labels) >= 6 and any("tanh" in label for label in labels), labels
    assert len(browser.find_elements(By.CSS_SELECTOR, "#graph-svg .node.leaf")) == 3

    browser.find_element(By.ID, "backward-next").click()
    assert len(browser.find_elements(By.CSS_SELECTOR, "#graph-svg .node.revealed")) == 1  # the output alone
    grad_w = browser.find_element(By.CSS_SELECTOR, '[data-name="w"] .node-grad')
    assert not grad_w.is_displayed()
    browser.find_element(By.ID, "backward-all").click()
    assert grad_w.is_displayed()
    grad_shown = float(grad_w.text.removeprefix("grad "))
    # d tanh(w x + b) / dw = x (1 - tanh(w x + b)^2)
    assert grad_shown == pytest.approx(x * (1 - math.tanh(w * x + b) ** 2), rel=1e-5)
    assert len(browser.find_elements(By.CSS_SELECTOR, "#backward-log li")) == len(labels)
    screenshot(browser, "graph")


def test_the_graph_view_takes_the_values_of_a_new_expression_s_names_and_shows_a_matrix_gradient(studio, browser):
    open_view(browser, f"{studio}/#graph")
    wait_until(lambda: browser.find_elements(By.ID, "value-w"), "the first graph did not draw")
    expression = browser.find_element(By.ID, "expression")
    expression.clear()
    expression.send_keys("sum(relu(W @ x + b))")
    names = [field.get_attribute("id") for field in browser.find_elements(By.CSS_SELECTOR, "#graph-values input")]
    assert names == ["value-W", "value-x", "value-b"]  # one field per name, as typed, before any drawing
    W, x, b = [[1, 2], [3, -4]], [1, -1], 0.3
    for name, value in (("W", W), ("x", x), ("b", b)):
        field = browser.find_element(By.ID, f"value-{name}")
        field.clear()
        field.send_keys(json.dumps(value))
    browser.find_element(By.ID, "graph-draw").click()
    wait_until(lambda: browser.find_elements(By.CSS_SELECTOR, '[data-name="W"]'), "the graph of W @ x did not draw")
    browser.find_element(By.ID, "backward-all").click()
    # d sum(relu(W x + b)) / dW = outer(relu'(W x + b), x)
    mask = [1 if sum(w * v for w, v in zip(row, x)) + b > 0 else 0 for row in W]
    grad_shown = shown(browser, '[data-name="W"] .node-grad', "data-grad")
    assert json.loads(grad_shown) == [[m * v for v in x] for m in mask] == [[0, 0], [1, -1]]


def test_the_runs_page_lists_a_finished_run_and_draws_its_curves(studio, browser):
    open_view(browser, f"{studio}/#runs")
    link = wait_until(lambda: browser.find_elements(By.LINK_TEXT, RUN), "the run is not listed")[0]
    assert "finished" in browser.find_element(By.ID, "runs-list").text
    screenshot(browser, "runs")
    link.click()
    curves = wait_until(lambda: browser.find_elements(By.CSS_SELECTOR, "#run-curves canvas"), "no curves drawn")
    assert_drawn(browser, curves, "run curve")
    assert pixels_of_colour(browser, curves[0], "#0877bd") > 0, "the first curve has no line"
    assert text(browser, "run-status") == "finished"
    assert browser.find_elements(By.CSS_SELECTOR, "#run-checkpoint tbody tr")
    assert browser.find_elements(By.CSS_SELECTOR, "#run-settings tbody tr")
    assert text(browser, "run-report")
    screenshot(browser, "run")


@pytest.mark.skipif(not MAKING_DOCS, reason="the speed figure of docs/studio.md: with BACKPROP_SCREENSHOTS=1 only "
                                            f"(it plays for {SPEED_SECONDS} s)")
def test_the_playground_frame_rate_and_drawing_time_for_the_docs(studio, browser):
    """The issue's case, 2-4-4-1 tanh on 500 points with 50x50 maps, one step per frame: frames per second as
    the page receives them, and the page's time to parse and draw one (window.studioStats)."""
    open_view(browser, f"{studio}/#playground")
    wait_until(lambda: number(browser, "test-loss") is not None, "no first frame")
    for _ in range(2):
        browser.find_element(By.ID, "units-plus-2").click()
    wait_until(lambda: len(browser.find_elements(By.CSS_SELECTOR, "#network canvas.unit-map")) == 11,
               "the network did not become 2-4-4-1")
    browser.execute_script("Object.assign(window.studioStats, {frames: 0, meanDrawMs: 0})")
    browser.find_element(By.ID, "play").click()
    time.sleep(SPEED_SECONDS)
    stats = browser.execute_script("return window.studioStats")
    browser.find_element(By.ID, "pause").click()
    assert stats["frames"] > 0
    figures = {"network": "2-4-4-1 tanh", "points": 500, "resolution": 50, "steps_per_frame": 1,
               "seconds": SPEED_SECONDS, "frames": stats["frames"],
               "frames_per_second": round(stats["frames"] / SPEED_SECONDS, 1),
               "mean_parse_and_draw_ms": round(stats["meanDrawMs"], 2),
               "browser": f"headless chromium {browser.capabilities['browserVersion']}"}
    (SCREENSHOTS / "speed.json").write_text(json.dumps(figures, indent=1) + "\n")


def test_a_running_run_s_curves_grow_on_its_page(studio, browser, runs_root):
    """A run still training (its history written a moment ago, no report yet): its page asks again every 2 s.
    Its name has a space, which the page's links and requests escape."""
    live = runs_root / "live run"
    live.mkdir()
    rows = [{"epoch": 1, "loss": 2.0, "accuracy": 0.3}]
    (live / "history.json").write_text(json.dumps(rows))
    open_view(browser, f"{studio}/#runs")
    wait_until(lambda: browser.find_elements(By.LINK_TEXT, "live run"), "the running run is not listed")[0].click()
    wait_until(lambda: browser.find_elements(By.ID, "curve-loss"), "the running run's curves did not draw")
    assert text(browser, "run-status") == "running"
    assert shown(browser, "#curve-loss", "data-points") == "1"
    rows.append({"epoch": 2, "loss": 1.5, "accuracy": 0.5})
    (live / "history.json").write_text(json.dumps(rows))
    wait_until(lambda: shown(browser, "#curve-loss", "data-points") == "2",
               "the curve did not grow with the run's history", seconds=10)
    assert_drawn(browser, browser.find_elements(By.CSS_SELECTOR, "#run-curves canvas"), "run curve")
    assert pixels_of_colour(browser, browser.find_element(By.ID, "curve-loss"), "#0877bd") > 0, "no loss line"
