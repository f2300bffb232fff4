"""Browser tours that save a screenshot whenever a step logs ``sfai_screenshot:<name>``.

Shared by the dashboard, role and chat tours, so every tour leaves pictures of what a user saw
under <--screenshots dir>/<db>/screenshots/ (the test output).
"""
import re
from unittest.mock import patch

from odoo.tests.common import ChromeBrowser

SCREENSHOT_SIGNAL = re.compile(r"^sfai_screenshot:(\w+)$")


def start_tour_with_screenshots(case, url, tour, login, prefix):
    """Run ``tour`` from ``url`` as ``login`` in ``case`` (an HttpCase); returns the screenshot names.

    ``prefix(name)`` gives each PNG's file name prefix.
    """
    shots = []
    handle_console = ChromeBrowser._handle_console

    def handle_console_with_screenshots(browser, type, args=None, **kw):  # noqa: A002 - CDP's name
        handle_console(browser, type, args=args, **kw)
        value = args and args[0].get("value")
        match = isinstance(value, str) and SCREENSHOT_SIGNAL.match(value)
        if match:
            shots.append(match.group(1))
            browser.take_screenshot(prefix=prefix(match.group(1)))

    with patch.object(ChromeBrowser, "_handle_console", handle_console_with_screenshots):
        case.start_tour(url, tour, login=login)
    return shots
