"""The data assistant's logic, without Odoo: the Groq tool-calling loop, the offline intent router,
the built-in answers and the mapping of API failures to answers a user can act on.

The Odoo model ``sales.forecast.assistant`` supplies the client, the tools (read as the current
user) and the stored conversation; everything here works on plain dicts and strings.
"""
from .errors import ChatError, classify_error, friendly_error  # noqa: F401
from .intents import Intent, detect_language, resolve_period, route  # noqa: F401
from .loop import LoopOutcome, ResultLimits, cap_tool_result, run_tool_loop  # noqa: F401
