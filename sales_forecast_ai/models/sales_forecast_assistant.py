"""The data assistant: ``ask(question, session_id=False)`` answers from the user's own data.

With a Groq key, the official ``groq`` client runs the engine's tool-calling loop
(engine/chat/loop.py) over read-only tools (sales_forecast_assistant_tools.py) executed as the
current user. Without a key, with Groq unreachable or failing, the built-in assistant answers the
common questions through the engine's intent router, with the same tools, and says so. Every
failure becomes a sentence in the user's language; nothing reaches the browser as a traceback.
"""
import logging
from urllib.parse import urlparse

from odoo import _, api, fields, models
from odoo.exceptions import AccessError, UserError

from ..engine.chat import answers, errors as chat_errors
from ..engine.chat.intents import detect_language, route
from ..engine.chat.loop import ResultLimits, build_messages, run_tool_loop
from ..engine.chat.tools import INTENT_TOOLS, intent_arguments
from .res_config_settings import DEFAULT_GROQ_BASE_URL, DEFAULT_GROQ_MODEL

try:
    import groq
except ImportError:  # listed in external_dependencies; the built-in assistant still works without it
    groq = None

_logger = logging.getLogger(__name__)

MAX_QUESTION_CHARS = 2000
MAX_RECORDS = 12
DEFAULT_TIMEOUT = 30.0
DEFAULT_MAX_RETRIES = 2
DEFAULT_DAILY_LIMIT = 50


class SalesForecastAssistant(models.AbstractModel):
    _name = "sales.forecast.assistant"
    _description = "Sales Forecast Data Assistant"

    # -- public API (the OWL widget and the tests call these) -------------------------------------
    @api.model
    def ask(self, question, session_id=False):
        """Answer ``question`` in the conversation ``session_id`` (a new one when False or not the
        user's) and store both turns.

        Returns {"answer", "source": "groq"|"builtin", "session_id", "records": [{"model", "id",
        "name"}], "error": code or False, "language"}.
        """
        self._check_chat_user()
        question = (question or "").strip()
        if not question:
            raise UserError(_("Type a question first."))
        if len(question) > MAX_QUESTION_CHARS:
            raise UserError(_("Questions are limited to %s characters; please shorten yours.", MAX_QUESTION_CHARS))
        config = self._get_chat_config()
        if config["mode"] == "off":
            raise UserError(_("The assistant is turned off. An administrator can turn it on in Settings."))
        language = detect_language(question)
        session = self._get_chat_session(session_id)
        limit = config["daily_limit"]
        if limit and self._count_questions_today() >= limit:
            return {"answer": self._daily_limit_text(limit, language), "source": "builtin",
                    "session_id": session.id, "records": [], "error": "daily_limit", "language": language}

        records = []
        trace = {"tool_calls": [], "usage": None}
        source, error = "builtin", None
        if config["mode"] == "groq" and config["api_key"] and groq is not None:
            try:
                answer = self._answer_with_groq(question, session, config, records, trace)
                source = "groq"
            except Exception as exc:  # noqa: BLE001 - every failure becomes an answer (see module doc)
                error = chat_errors.classify_error(exc)
                if error.code == chat_errors.UNKNOWN:
                    _logger.exception("Assistant: unexpected failure calling Groq")
                else:
                    _logger.warning("Assistant: Groq failed (%s, status %s): %s", error.code, error.status,
                                    error.detail)
                records.clear()
                trace["tool_calls"] = []
        elif config["mode"] == "groq":
            error = chat_errors.ChatError(chat_errors.NO_KEY)
        if source == "builtin":
            answer = self._answer_builtin(question, language, records, trace)
            if error:
                answer = chat_errors.friendly_error(error, language, config["model"]) + "\n\n" + answer
        result = {
            "answer": answer,
            "source": source,
            "session_id": session.id,
            "records": self._unique_records(records),
            "error": error.code if error else False,
            "language": language,
        }
        self._store_turn(session, question, result, trace, config)
        self._log_turn(session, question, result, trace, config)
        return result

    @api.model
    def get_conversation(self, session_id=False):
        """What the widget shows when it opens: the session (the latest one by default) and its turns."""
        self._check_chat_user()
        Session = self.env["sales.forecast.chat.session"]
        session = Session.search([("id", "=", int(session_id))]) if session_id else Session
        if not session:
            session = Session.search([("user_id", "=", self.env.uid), ("company_id", "=", self.env.company.id)],
                                     limit=1)
        config = self._get_chat_config()
        return {
            "session_id": session.id or False,
            "messages": [self._prepare_message(m) for m in session.message_ids] if session else [],
            "mode": config["mode"],
            "groq_ready": bool(config["mode"] == "groq" and config["api_key"] and groq is not None),
        }

    @api.model
    def new_conversation(self):
        """Start a new, empty conversation; the previous ones stay in the user's history. An empty
        conversation is reused, so clicking "New" twice does not pile up sessions."""
        self._check_chat_user()
        Session = self.env["sales.forecast.chat.session"]
        latest = Session.search([("user_id", "=", self.env.uid), ("company_id", "=", self.env.company.id)], limit=1)
        if latest and not latest.message_ids:
            return latest.id
        return Session.create({}).id

    # -- the two answerers ------------------------------------------------------------------------
    @api.model
    def _answer_with_groq(self, question, session, config, records, trace):
        client = self._get_groq_client(config)
        tools = self._get_chat_tool_specs()
        messages = build_messages(question, session._get_history(),
                                  today=fields.Date.to_string(fields.Date.context_today(self)),
                                  company=self.env.company.name)

        def execute(name, arguments):
            return self._execute_chat_tool(name, arguments, records)

        outcome = run_tool_loop(client, config["model"], messages, tools, execute,
                                max_rounds=config["max_rounds"], max_tokens=config["max_tokens"],
                                limits=self._get_chat_result_limits())
        trace["tool_calls"] = outcome.tool_calls
        trace["usage"] = outcome.usage
        return outcome.answer

    @api.model
    def _answer_builtin(self, question, language, records, trace):
        """The offline answer: intent router -> the same tool -> a rendered sentence, labelled."""
        intent = route(question)
        if intent.name == "help":
            data = None
        else:
            tool = INTENT_TOOLS[intent.name]
            arguments = intent_arguments(intent)
            if tool not in self._get_chat_tools():
                data = {"unavailable": True}
            else:
                # The full question lets the product lookup match a name anywhere in it.
                data = self.with_context(sales_forecast_chat_question=question)._execute_chat_tool(
                    tool, arguments, records)
            trace["tool_calls"] = [{"name": tool, "arguments": arguments, "ok": "error" not in (data or {})}]
        return "[%s]\n%s" % (answers.t("label", language), answers.render(intent.name, data, language))

    # -- tools --------------------------------------------------------------------------------------
    @api.model
    def _execute_chat_tool(self, name, arguments, records):
        """Run one tool as the current user; refusals and bad arguments come back as data."""
        tool = self._get_chat_tools().get(name)
        if not tool:
            return {"error": f"unknown tool {name}"}
        allowed = set(tool["spec"]["function"]["parameters"]["properties"]) | {"days"}
        kwargs = {key: value for key, value in (arguments or {}).items() if key in allowed and value not in (None, "")}
        try:
            with self.env.cr.savepoint():
                data = tool["method"](records=records, **kwargs)
        except AccessError:
            return {"error": self.env._("your access rights do not allow reading this data"), "forbidden": True}
        except (UserError, ValueError, TypeError) as exc:
            return {"error": str(exc.args[0] if exc.args else exc)[:300]}
        except Exception:  # noqa: BLE001 - a broken tool is an answer too; the savepoint undid its reads
            _logger.exception("Assistant: tool %s failed", name)
            return {"error": self.env._("this data could not be read because of an internal error")}
        return data

    # -- configuration and plumbing -----------------------------------------------------------------
    @api.model
    def _check_chat_user(self):
        if not self.env.user.has_group("sales_forecast_ai.group_forecast_user"):
            raise AccessError(_("The data assistant is for Sales Forecast users."))

    @api.model
    def _get_chat_config(self):
        # sudo: settings of the assistant (the key included) are read server-side only; the key is
        # handed to the Groq client and never returned to the browser.
        params = self.env["ir.config_parameter"].sudo()

        def number(key, default, cast=int):
            try:
                return cast(params.get_param(key, default))
            except (TypeError, ValueError):
                return default

        mode = params.get_param("sales_forecast_ai.chat_mode") or "groq"
        return {
            "mode": mode if mode in ("groq", "builtin", "off") else "groq",
            "api_key": (params.get_param("sales_forecast_ai.groq_api_key") or "").strip(),
            "model": (params.get_param("sales_forecast_ai.groq_model") or DEFAULT_GROQ_MODEL).strip(),
            "base_url": (params.get_param("sales_forecast_ai.groq_base_url") or DEFAULT_GROQ_BASE_URL).strip(),
            "timeout": number("sales_forecast_ai.groq_timeout", DEFAULT_TIMEOUT, float),
            "max_retries": max(0, min(number("sales_forecast_ai.groq_max_retries", DEFAULT_MAX_RETRIES), 5)),
            "max_rounds": max(1, min(number("sales_forecast_ai.chat_max_rounds", 4), 8)),
            "max_tokens": max(64, min(number("sales_forecast_ai.chat_max_tokens", 1024), 8192)),
            "daily_limit": max(0, number("sales_forecast_ai.chat_daily_limit", DEFAULT_DAILY_LIMIT)),
            # Questions stay out of the server log unless asked for; tool calls and token counts
            # (what an administrator needs to follow usage and cost) are kept unless turned off.
            "log_questions": params.get_param("sales_forecast_ai.chat_log_questions", "False") == "True",
            "log_tool_calls": params.get_param("sales_forecast_ai.chat_log_tool_calls", "True") == "True",
            "log_tokens": params.get_param("sales_forecast_ai.chat_log_tokens", "True") == "True",
        }

    @api.model
    def _get_groq_client(self, config):
        url = urlparse(config["base_url"])
        # The URL is a system parameter: still, only a web address is ever handed to the client.
        if url.scheme not in ("http", "https") or not url.netloc:
            raise chat_errors.ChatLoopError(chat_errors.BAD_REQUEST, "the Groq base URL is not a web address")
        return groq.Groq(api_key=config["api_key"], base_url=config["base_url"], timeout=config["timeout"],
                         max_retries=config["max_retries"])

    @api.model
    def _list_groq_models(self, api_key=None, base_url=None):
        """(model ids, False) offered by the Groq account, or ([], a sentence saying why not)."""
        config = self._get_chat_config()
        config.update({k: v for k, v in (("api_key", api_key), ("base_url", base_url)) if v})
        language = (self.env.lang or "en")[:2]
        if not config["api_key"]:
            return [], chat_errors.friendly_error(chat_errors.ChatError(chat_errors.NO_KEY), language)
        if groq is None:
            return [], _("The groq Python package is not installed on the server.")
        try:
            listing = self._get_groq_client(config).models.list()
            return [model.id for model in listing.data if getattr(model, "active", True) is not False], False
        except Exception as exc:  # noqa: BLE001 - shown to the administrator as a sentence
            error = chat_errors.classify_error(exc)
            return [], chat_errors.friendly_error(error, language, config["model"])

    @api.model
    def _get_chat_result_limits(self):
        return ResultLimits()

    @api.model
    def _get_chat_session(self, session_id):
        """The user's session ``session_id`` in the current company, else a new one."""
        Session = self.env["sales.forecast.chat.session"]
        if session_id:
            try:
                # search, not browse: record rules make another user's session simply not found.
                session = Session.search([("id", "=", int(session_id))])
            except (TypeError, ValueError):
                session = Session
            # Record rules already hide other users' sessions; a session of another company is
            # not continued here, where the tools read the current company.
            if session and session.company_id == self.env.company and session.user_id == self.env.user:
                return session
        return Session.create({})

    @api.model
    def _count_questions_today(self):
        start = fields.Datetime.to_datetime(fields.Date.today())
        return self.env["sales.forecast.chat.message"].search_count(
            [("user_id", "=", self.env.uid), ("role", "=", "user"), ("create_date", ">=", start)])

    @api.model
    def _daily_limit_text(self, limit, language):
        texts = {
            "en": "You have asked {n} questions today, the daily limit set by your administrator. "
                  "Ask again tomorrow.",
            "fr": "Vous avez posé {n} questions aujourd'hui, la limite quotidienne fixée par votre "
                  "administrateur. Réessayez demain.",
            "ar": "لقد طرحت {n} سؤالا اليوم، وهو الحد اليومي الذي حدده المسؤول. أعد المحاولة غدا.",
        }
        return texts.get(language, texts["en"]).format(n=limit)

    @api.model
    def _unique_records(self, records):
        seen, out = set(), []
        for record in records:
            key = (record["model"], record["id"])
            if key not in seen:
                seen.add(key)
                out.append(record)
        return out[:MAX_RECORDS]

    @api.model
    def _store_turn(self, session, question, result, trace, config):
        usage = trace.get("usage")
        vals_list = [
            {"session_id": session.id, "role": "user", "content": question, "language": result["language"]},
            {"session_id": session.id, "role": "assistant", "content": result["answer"],
             "language": result["language"], "source": result["source"], "error_code": result["error"] or False,
             "record_refs": result["records"],
             "tool_calls": trace["tool_calls"] if config["log_tool_calls"] else False,
             "prompt_tokens": usage.prompt_tokens if usage and config["log_tokens"] else 0,
             "completion_tokens": usage.completion_tokens if usage and config["log_tokens"] else 0},
        ]
        # sudo: users only read their conversations; the turns are written here, from what this
        # method produced, so nobody can forge an assistant turn that would steer the next answer.
        self.env["sales.forecast.chat.message"].sudo().create(vals_list)
        vals = {"last_message_date": fields.Datetime.now()}
        Message = self.env["sales.forecast.chat.message"]
        if Message.search_count([("session_id", "=", session.id), ("role", "=", "user")]) == 1:
            vals["name"] = question[:60]
        session.sudo().write(vals)

    @api.model
    def _log_turn(self, session, question, result, trace, config):
        parts = ["uid=%s" % self.env.uid, "session=%s" % session.id, "source=%s" % result["source"]]
        if result["error"]:
            parts.append("error=%s" % result["error"])
        if config["log_questions"]:
            parts.append("question=%r" % question[:500])
        if config["log_tool_calls"]:
            parts.append("tools=%s" % [(c["name"], c["arguments"]) for c in trace["tool_calls"]])
        usage = trace.get("usage")
        if config["log_tokens"] and usage:
            parts.append("tokens=%s+%s" % (usage.prompt_tokens, usage.completion_tokens))
        _logger.info("Assistant answer: %s", " ".join(parts))

    @api.model
    def _prepare_message(self, message):
        return {
            "id": message.id,
            "role": message.role,
            "content": message.content or "",
            "source": message.source or False,
            "records": message.record_refs or [],
            "date": fields.Datetime.to_string(message.create_date),
        }
