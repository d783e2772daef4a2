"""The browser-test harness: Debian's Chromium driven through Playwright against pytest-django's
live server, with an axe-core accessibility check of every page a test reaches.

How the axe check covers every page:

* axe-core is added to every document the browser loads (an init script, so the portal's
  Content-Security-Policy is untouched), and runs by itself on each top-level page's `load`
  event, reporting back to Python through a binding: links, form submits (including the page
  a failed validation re-renders), redirects' final pages and `page.goto` alike;
* a route holds each new top-level document request until the page being left has reported,
  so a quick click can never outrun the check of the page it leaves; the hold ends with the
  report, or after 60% of the page's action timeout with an error naming the page that never
  reported (a stuck check fails as itself, not as a click that timed out waiting for its
  navigation), withdrawn if the report still comes before the page goes;
* a `framenavigated` recorder notes each URL the main frame reaches; when the test body ends,
  the last page's report is awaited, and the test fails with a readable list if any page had
  violations, or if a URL was reached that no check covered;
* stylesheets, scripts, images or fonts that fail to load, and uncaught script errors, fail the test
  too: a page without its stylesheet is not the page under test.

`visit(page, path)` goes to a path on the live server and waits for its check, failing at once
on violations; use `page.a11y.check()` (or the `a11y` fixture) to check a page again after a
script has changed it in place (htmx swaps, toggles).
"""

import json
import os
import shutil
import time

import pytest

# Playwright's sync API runs an event loop in this thread, which trips Django's async-safety
# check on every ORM call the tests make.
os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"

from axe_playwright_python.sync_playwright import Axe  # noqa: E402
from playwright.sync_api import sync_playwright  # noqa: E402

CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
AXE_OPTIONS = {
    "runOnly": {"type": "tag", "values": ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"]},
    "resultTypes": ["violations"],
}
HERE = os.path.dirname(os.path.abspath(__file__))


def pytest_collection_modifyitems(config, items):
    for item in items:
        if str(item.path).startswith(HERE + os.sep):
            item.add_marker(pytest.mark.browser)


@pytest.hookimpl(wrapper=True)
def pytest_runtest_call(item):
    """The last page's check, and the verdict on all of them, belong to the test itself, so a
    violation shows as the test's failure rather than as an error in teardown."""
    guard = getattr(item, "_a11y_guard", None)
    try:
        result = yield
    except BaseException:
        # The test failed on its own: show what axe had found so far beside its traceback.
        if guard is not None and guard.problems(still_pending=True):
            item.add_report_section(
                "call", "accessibility", "\n\n".join(guard.problems(still_pending=True))
            )
        raise
    if guard is not None:
        guard.finish()
    return result


@pytest.fixture(scope="session")
def browser():
    executable = shutil.which("chromium")
    if not executable:
        pytest.fail(
            "Debian's chromium is not installed, and the browser tests need it. "
            "Run `make test` (or scripts/browser.sh) once to install it; Playwright's own "
            "browser download does not work here.",
            pytrace=False,
        )
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture(scope="session")
def live_server(request):
    """pytest-django's live server, serving static files as production does: through WhiteNoise
    from the collected, hashed files (`manage.py collectstatic` first). pytest-django's own
    static handler looks the hashed names up in the source folders, and 404s every stylesheet."""
    from pytest_django.live_server_helper import LiveServer

    addr = (
        request.config.getvalue("liveserver")
        or os.getenv("DJANGO_LIVE_TEST_SERVER_ADDRESS")
        or "localhost"
    )
    server = LiveServer(addr, start=False)
    server.thread.static_handler = _through_whitenoise
    server.start()
    yield server
    server.stop()


def _through_whitenoise(application):
    return application  # the WhiteNoise middleware in the stack serves /static/


@pytest.fixture(scope="session")
def axe():
    return Axe()


@pytest.fixture
def base_url(live_server):
    return live_server.url


@pytest.fixture
def page(request, browser, axe, live_server, transactional_db):
    context = browser.new_context(
        base_url=live_server.url, locale="en-GB", viewport={"width": 1280, "height": 900}
    )
    page = context.new_page()
    guard = A11yGuard(page, axe)
    request.node._a11y_guard = guard
    page.a11y = guard
    before = set(browser.contexts) - {context}
    yield page
    for opened in set(browser.contexts) - before:  # with any further tabs the test left open
        try:
            # Stops a callback still holding a request, which would otherwise raise later.
            opened.unroute_all(behavior="ignoreErrors")
            for tab in opened.pages:
                tab.unroute_all(behavior="ignoreErrors")
        finally:
            opened.close()


@pytest.fixture
def a11y(page):
    return page.a11y


def visit(page, path):
    """Go to `path` on the live server (relative paths use the context's base_url), wait for
    the page's axe check and fail at once if it found anything."""
    response = page.goto(path)
    page.a11y.wait()
    return response


AXE_RUNNER = """
(() => {
  if (window !== window.top || !/^https?:$/.test(location.protocol)) return;
  const id = Date.now().toString(36) + Math.random().toString(36).slice(2);
  const report = (event, extra) =>
    window.__a11yReport(Object.assign({event, id, url: location.href}, extra));
  const summary = (results) => results.violations.map((v) => ({
    id: v.id, impact: v.impact, help: v.help,
    nodes: v.nodes.map((n) => ({target: n.target, summary: n.failureSummary || ""})),
  }));
  let checking = false;
  const check = (more) => {
    if (checking) return;
    checking = true;
    if (document.contentType !== "text/html") {
      report("skipped", {reason: document.contentType});
      return;
    }
    axe.run(document, Object.assign(%(options)s, more)).then(
      (results) => report("checked", {violations: summary(results)}),
      (error) => report("error", {error: String(error)}),
    );
  };
  report("start");
  window.addEventListener("load", () => setTimeout(() => {
    report("loaded");
    check();
  }, 0));
  // Left before its check began: Chromium stops its loading once the next navigation starts,
  // so `load` (or the turn after it, when a click follows `load` at once) never comes. The page
  // stays while that navigation is held: it is checked as it stands. Before its stylesheet
  // arrives it has no layout yet, and unstyled text would fail the rules that judge one.
  const LAYOUT_RULES = {"target-size": {enabled: false}, "color-contrast": {enabled: false}};
  window.addEventListener("beforeunload", () => {
    if (checking) return;
    const unstyled = [...document.querySelectorAll("link[rel=stylesheet]")].some((l) => !l.sheet);
    check(Object.assign({preload: false}, unstyled ? {rules: LAYOUT_RULES} : {}));
  });
})();
"""


class A11yGuard:
    """Runs axe on every page a test reaches and keeps the violations for the verdict."""

    TIMEOUT = 20  # seconds to wait for a page's check when the test asks to

    def __init__(self, page, axe, timeout=10):
        self.page = page
        self.axe = axe
        self.set_timeout(timeout)
        self.navigations = []  # every URL the main frame reached, in order
        self.documents = {}  # in-page id -> {"url", "done", "checked"}, in the order they started
        self.reports = []  # one readable block per page with violations
        self.errors = []  # checks that could not run, resources that failed to load
        context = page.context
        context.expose_binding("__a11yReport", self._on_report)
        context.add_init_script(
            axe.axe_script + "\n" + AXE_RUNNER % {"options": json.dumps(AXE_OPTIONS)}
        )
        page.on("framenavigated", self._on_navigated)
        page.on("response", self._on_response)
        page.on("requestfailed", self._on_request_failed)
        page.on("pageerror", self._on_page_error)
        page.route("**/*", self._on_route)

    def set_timeout(self, seconds):
        """The page's action timeout; a navigation waits for the page it leaves for 60% of it."""
        self.page.set_default_timeout(seconds * 1000)
        self.hold = 0.6 * seconds

    # What the browser tells us.
    def _on_report(self, source, message):
        if source["page"] != self.page:
            return
        document = self.documents.setdefault(
            message["id"], {"url": message["url"], "done": False, "checked": False, "loaded": None}
        )
        event = message["event"]
        if event == "start":
            return
        if event == "loaded":
            document["loaded"] = time.monotonic()
            return
        document["done"] = True
        document.pop("overdue", None)  # reported after all, before the page went
        if event == "checked":
            document["checked"] = True
            document["url"] = message["url"]
            if message["violations"]:
                self.reports.append(self._report(message["url"], message["violations"]))
        elif event == "error":
            self.errors.append(f"{message['url']}: the axe check could not run: {message['error']}")
        # "skipped": not an HTML page (a PDF, a download); nothing for axe to check.

    def _on_navigated(self, frame):
        if frame == self.page.main_frame:
            self.navigations.append(frame.url)

    # The page's own assets; fetch/xhr answers (htmx) may be 4xx on purpose, and tests assert those.
    ASSETS = {"stylesheet", "script", "image", "font", "media"}

    def _on_response(self, response):
        if response.status >= 400 and response.request.resource_type in self.ASSETS:
            self.errors.append(
                f"{response.url}: {response.status} for a {response.request.resource_type}"
            )

    def _on_request_failed(self, request):
        failure = request.failure or ""
        if request.resource_type in self.ASSETS and "ERR_ABORTED" not in failure:
            self.errors.append(
                f"{request.url}: the {request.resource_type} failed to load ({failure})"
            )

    def _on_page_error(self, error):
        self.errors.append(f"{self.page.url}: uncaught script error: {error}")

    def _on_route(self, route):
        request = route.request
        if request.is_navigation_request() and request.frame == self.page.main_frame:
            self._wait_for_pending(self.hold)  # the page being left reports before it goes
        route.fallback()

    # Waiting and verdicts.
    def _pending(self):
        return [doc for doc in self.documents.values() if not doc["done"]]

    def _wait_for_pending(self, timeout=None):
        timeout = self.TIMEOUT if timeout is None else timeout
        deadline = time.monotonic() + timeout
        while self._pending() and time.monotonic() < deadline:
            self.page.wait_for_timeout(25)  # lets the Playwright dispatcher deliver the reports
        if self._pending():
            self.page.wait_for_timeout(0)  # a report already on its way is still taken
        for doc in self._pending():
            doc["done"] = True
            doc["overdue"] = (
                f"{doc['url']}: no axe report within {timeout:g}s: {self._progress(doc)}"
            )

    @staticmethod
    def _progress(doc):
        if doc["loaded"]:
            return f"its axe check had run {time.monotonic() - doc['loaded']:.1f}s"
        return "it had not finished loading"

    def problems(self, still_pending=False):
        """What fails the test: errors, overdue checks, violations (and, when the test failed on
        its own, the pages whose check was still running, which may be why)."""
        overdue = [doc["overdue"] for doc in self.documents.values() if "overdue" in doc]
        pending = [
            f"{doc['url']}: its check was still running: {self._progress(doc)}"
            for doc in (self._pending() if still_pending else [])
        ]
        return self.errors + overdue + pending + self.reports

    def wait(self):
        """Wait until the page has loaded and axe has checked it; fail at once on violations."""
        self.page.wait_for_load_state("load")
        self._wait_for_pending()
        self._raise()

    def check(self):
        """Check the page again now (a script may have changed it in place); fail at once."""
        self.wait()
        url = self.page.url
        violations = self.axe.run(self.page, options=AXE_OPTIONS).response["violations"]
        if violations:
            self.reports.append(self._report(url, violations))
        self._raise()

    def finish(self):
        self.page.wait_for_load_state("load")
        self._wait_for_pending()
        checked = {_without_fragment(doc["url"]) for doc in self.documents.values() if doc["done"]}
        unchecked = [
            url
            for url in self.navigations
            if url.startswith("http") and _without_fragment(url) not in checked
        ]
        if unchecked:
            self.errors.append(
                "pages reached but never checked: " + ", ".join(dict.fromkeys(unchecked))
            )
        self._raise()

    def _raise(self):
        problems = self.problems()
        if problems:
            self.errors, self.reports = [], []
            for doc in self.documents.values():
                doc.pop("overdue", None)
            pytest.fail(
                "Accessibility (axe, WCAG 2.2 AA) and page-load problems:\n\n"
                + "\n\n".join(problems),
                pytrace=False,
            )

    @staticmethod
    def _report(url, violations):
        lines = [f"{url}: {len(violations)} axe violation(s)"]
        for violation in violations:
            lines.append(f"  - {violation['id']} ({violation['impact']}): {violation['help']}")
            for node in violation["nodes"]:
                lines.append(
                    "      "
                    + " ".join(" >> ".join(t) if isinstance(t, list) else t for t in node["target"])
                )
                summary = " ".join(node.get("summary", node.get("failureSummary", "")).split())
                if summary:
                    lines.append(f"        {summary}")
        return "\n".join(lines)


def _without_fragment(url):
    return url.split("#", 1)[0]
