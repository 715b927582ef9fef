"""Steps the browser tests share."""

from __future__ import annotations

import threading
from collections.abc import Callable

from django.db import connection

# Every control a finger taps, with its size: buttons, fields, disclosure summaries, links drawn
# as buttons and the app bar's links. Links inside a sentence are exempt (WCAG 2.5.5's inline
# exception), as are check boxes and radio buttons, whose label is the target.
TARGETS = """() => [...document.querySelectorAll(
    "button, a.button, select, textarea, summary, nav a, " +
    "input:not([type=hidden]):not([type=checkbox]):not([type=radio])")]
  .filter((element) => element.offsetParent !== null)
  .map((element) => { const r = element.getBoundingClientRect();
    return {what: element.outerHTML.slice(0, 80), width: r.width, height: r.height}; })"""
TOUCH_PX = 44  # WCAG 2.5.5


def small_touch_targets(page) -> list[dict]:
    """The controls on the page smaller than a fingertip in either direction."""
    targets = page.evaluate(TARGETS)
    assert targets, "no control found on the page"
    return [t for t in targets if min(t["width"], t["height"]) < TOUCH_PX - 0.5]


def sign_in(page, base_url: str, user, password: str, *, then: str = "/") -> None:
    """Sign in through the login page and land on ``then``."""
    page.goto(f"{base_url}/accounts/login/" + (f"?next={then}" if then != "/" else ""))
    page.get_by_label("Username").fill(user.username)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(f"{base_url}{then}")


def in_a_thread_of_its_own(work: Callable[[], object]) -> None:
    """Do what a request or a task would do, from a thread of its own.

    Playwright keeps an event loop running in the test's thread, where Django's sync code and
    the channel layer's async_to_sync may not run. An error is raised here, in the test.
    """
    errors: list[BaseException] = []

    def run() -> None:
        try:
            work()
        except BaseException as error:  # reported in the test's thread below
            errors.append(error)
        finally:
            connection.close()

    thread = threading.Thread(target=run)
    thread.start()
    thread.join(timeout=30)
    assert not thread.is_alive(), "the work did not finish within 30 s"
    assert not errors, errors
