"""Every way a call to Groq can fail, as a code and a sentence a user can act on.

Exceptions are recognised by their class names and attributes (``status_code``, ``body``,
``response.headers``) rather than by importing ``groq``, so the engine does not depend on the
client library and any OpenAI-compatible client maps the same way.
"""
from __future__ import annotations

import email.utils
import json
import re
import time
from dataclasses import dataclass

# Codes, and whether the built-in assistant should still try to answer (it always may; these only
# change the sentence in front of its answer).
NO_KEY = "no_key"
DISABLED = "disabled"
TIMEOUT = "timeout"
CONNECTION = "connection"
AUTH = "auth"
RATE_LIMIT = "rate_limit"
SERVER = "server"
MODEL = "model_unavailable"
TOOL_USE = "tool_use_failed"
BAD_REQUEST = "bad_request"
BAD_RESPONSE = "bad_response"
LOOP = "tool_loop"
EMPTY = "empty_answer"
UNKNOWN = "unknown"

# Admin-facing problems: the fix is in Settings.
SETTINGS_CODES = {NO_KEY, AUTH, MODEL}


class ChatLoopError(Exception):
    """The conversation with the model could not finish: too many rounds, malformed tool calls,
    an empty answer. ``code`` is one of LOOP, TOOL_USE, EMPTY."""

    def __init__(self, code, detail=""):
        super().__init__(detail or code)
        self.code = code
        self.detail = detail


@dataclass
class ChatError:
    code: str
    status: int | None = None
    retry_after: float | None = None
    detail: str = ""                 # the provider's own message, for logs and administrators

    @property
    def in_settings(self):
        return self.code in SETTINGS_CODES


def _class_names(exc):
    return {cls.__name__ for cls in type(exc).__mro__}


def _error_body(exc):
    """The provider's error object: {"message", "type", "code"} when it sent JSON, else {}."""
    body = getattr(exc, "body", None)
    if isinstance(body, (bytes, str)):
        try:
            body = json.loads(body)
        except ValueError:
            return {"message": str(body)[:300]}
    if isinstance(body, dict):
        inner = body.get("error", body)
        return inner if isinstance(inner, dict) else {"message": str(inner)}
    return {}


def parse_retry_after(headers, message=""):
    """Seconds to wait, from ``retry-after-ms``/``retry-after`` (seconds or an HTTP date) or from
    Groq's "Please try again in 7.5s" / "in 1m30s"; None when nothing says."""
    headers = headers or {}
    get = headers.get if hasattr(headers, "get") else (lambda k: None)
    value = get("retry-after-ms")
    if value:
        try:
            return max(float(value) / 1000.0, 0.0)
        except ValueError:
            pass
    value = get("retry-after")
    if value:
        try:
            return max(float(value), 0.0)
        except ValueError:
            parsed = email.utils.parsedate_tz(value)
            if parsed:
                return max(email.utils.mktime_tz(parsed) - time.time(), 0.0)
    match = re.search(r"try again in\s+(?:(\d+)m)?\s*(?:([\d.]+)s)?", message or "")
    if match and (match.group(1) or match.group(2)):
        return int(match.group(1) or 0) * 60 + float(match.group(2) or 0)
    return None


def classify_error(exc):
    """ChatError for an exception raised while talking to the model."""
    if isinstance(exc, ChatLoopError):
        return ChatError(exc.code, detail=exc.detail)
    names = _class_names(exc)
    body = _error_body(exc)
    detail = str(body.get("message") or exc)[:500]
    provider_code = str(body.get("code") or "")
    status = getattr(exc, "status_code", None)
    if "APITimeoutError" in names or "TimeoutException" in names or isinstance(exc, TimeoutError):
        return ChatError(TIMEOUT, detail=detail)
    if "APIConnectionError" in names or isinstance(exc, ConnectionError):
        return ChatError(CONNECTION, detail=detail)
    if "APIResponseValidationError" in names or isinstance(exc, (ValueError, TypeError, KeyError, IndexError)) \
            and status is None:
        # 200 with a body that is not a chat completion (garbage JSON, an HTML proxy page...).
        return ChatError(BAD_RESPONSE, detail=detail)
    if isinstance(status, int):
        response = getattr(exc, "response", None)
        headers = getattr(response, "headers", None)
        model_words = ("decommissioned" in detail or "does not exist" in detail or "not found" in detail.lower()
                       and "model" in detail.lower())
        if status in (401, 403):
            return ChatError(AUTH, status, detail=detail)
        if status == 429:
            return ChatError(RATE_LIMIT, status, parse_retry_after(headers, detail), detail)
        if status >= 500:
            return ChatError(SERVER, status, parse_retry_after(headers, detail), detail)
        if provider_code in ("model_decommissioned", "model_not_found", "model_not_active") or \
                (status in (400, 404) and model_words):
            return ChatError(MODEL, status, detail=detail)
        if provider_code == "tool_use_failed":
            return ChatError(TOOL_USE, status, detail=detail)
        if status == 413 or provider_code == "context_length_exceeded":
            return ChatError(BAD_REQUEST, status, detail=detail)
        return ChatError(BAD_REQUEST, status, detail=detail)
    return ChatError(UNKNOWN, detail=detail)


MESSAGES = {
    NO_KEY: {
        "en": "The AI assistant is not connected (no Groq API key in Settings).",
        "fr": "L'assistant IA n'est pas connecté (aucune clé API Groq dans les Paramètres).",
        "ar": "المساعد الذكي غير متصل (لا يوجد مفتاح Groq API في الإعدادات).",
    },
    DISABLED: {
        "en": "The AI assistant is turned off in Settings.",
        "fr": "L'assistant IA est désactivé dans les Paramètres.",
        "ar": "المساعد الذكي معطل في الإعدادات.",
    },
    TIMEOUT: {
        "en": "Groq did not answer in time.",
        "fr": "Groq n'a pas répondu à temps.",
        "ar": "لم يرد Groq في الوقت المحدد.",
    },
    CONNECTION: {
        "en": "Groq cannot be reached from this server (network error).",
        "fr": "Groq est injoignable depuis ce serveur (erreur réseau).",
        "ar": "تعذر الوصول إلى Groq من هذا الخادم (خطأ في الشبكة).",
    },
    AUTH: {
        "en": "Groq refused the API key. An administrator must check it in Settings > Sales Forecast > AI Assistant.",
        "fr": "Groq a refusé la clé API. Un administrateur doit la vérifier dans Paramètres > Sales Forecast > "
              "Assistant IA.",
        "ar": "رفض Groq مفتاح API. يجب على المسؤول التحقق منه في الإعدادات > Sales Forecast > المساعد الذكي.",
    },
    RATE_LIMIT: {
        "en": "Groq's rate limit is reached.",
        "fr": "La limite de requêtes Groq est atteinte.",
        "ar": "تم بلوغ حد الطلبات لدى Groq.",
    },
    SERVER: {
        "en": "Groq has a temporary problem on its side.",
        "fr": "Groq rencontre un problème temporaire.",
        "ar": "يواجه Groq مشكلة مؤقتة.",
    },
    MODEL: {
        "en": "The Groq model set in Settings ({model}) is retired or not available to this account. An "
              "administrator must choose another one in Settings > Sales Forecast > AI Assistant (the "
              "\"List available models\" button shows the account's models).",
        "fr": "Le modèle Groq choisi dans les Paramètres ({model}) est retiré ou indisponible pour ce compte. "
              "Un administrateur doit en choisir un autre dans Paramètres > Sales Forecast > Assistant IA (le "
              "bouton « Lister les modèles disponibles » montre ceux du compte).",
        "ar": "نموذج Groq المحدد في الإعدادات ({model}) متوقف أو غير متاح لهذا الحساب. يجب على المسؤول اختيار "
              "نموذج آخر في الإعدادات > Sales Forecast > المساعد الذكي (زر \"عرض النماذج المتاحة\").",
    },
    TOOL_USE: {
        "en": "The AI model produced an invalid data request.",
        "fr": "Le modèle IA a produit une requête de données invalide.",
        "ar": "أنتج النموذج طلب بيانات غير صالح.",
    },
    LOOP: {
        "en": "The AI model kept asking for data without concluding.",
        "fr": "Le modèle IA a demandé des données sans jamais conclure.",
        "ar": "ظل النموذج يطلب البيانات دون أن يصل إلى إجابة.",
    },
    EMPTY: {
        "en": "The AI model returned an empty answer.",
        "fr": "Le modèle IA a renvoyé une réponse vide.",
        "ar": "أعاد النموذج إجابة فارغة.",
    },
    BAD_RESPONSE: {
        "en": "Groq sent a reply this server could not read.",
        "fr": "Groq a envoyé une réponse illisible pour ce serveur.",
        "ar": "أرسل Groq ردا تعذرت قراءته.",
    },
    BAD_REQUEST: {
        "en": "Groq refused the request.",
        "fr": "Groq a refusé la requête.",
        "ar": "رفض Groq الطلب.",
    },
    UNKNOWN: {
        "en": "The AI assistant failed unexpectedly.",
        "fr": "L'assistant IA a échoué de façon inattendue.",
        "ar": "فشل المساعد الذكي بشكل غير متوقع.",
    },
}
RETRY_AFTER = {
    "en": " Try again in {seconds} s.",
    "fr": " Réessayez dans {seconds} s.",
    "ar": " أعد المحاولة بعد {seconds} ثانية.",
}
TRY_LATER = {
    "en": " Try again in a moment.",
    "fr": " Réessayez dans un instant.",
    "ar": " أعد المحاولة بعد قليل.",
}


def friendly_error(error, language="en", model=""):
    """One or two sentences for ``error`` (a ChatError) in ``language``; never a traceback."""
    language = language if language in ("en", "fr", "ar") else "en"
    text = MESSAGES.get(error.code, MESSAGES[UNKNOWN])[language].format(model=model or "?")
    if error.code in (RATE_LIMIT, SERVER, TIMEOUT, CONNECTION):
        if error.retry_after is not None:
            text += RETRY_AFTER[language].format(seconds=max(1, int(round(error.retry_after))))
        else:
            text += TRY_LATER[language]
    return text
