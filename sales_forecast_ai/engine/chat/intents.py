"""The offline router: which common question is this, about which period and product, in which language.

Keyword rules in English, French and Arabic (the add-on's users), deliberately small: the built-in
assistant answers the frequent questions without an LLM and says so; anything else gets the list of
what it can answer. Only the question is routed, never record data, so nothing stored in the
database can choose what the assistant does.
"""
from __future__ import annotations

import datetime
import re
import unicodedata
from dataclasses import dataclass, field

LANGUAGES = ("en", "fr", "ar")

ARABIC_CHARS = re.compile(r"[\u0600-\u06FF]")
_ARABIC_DIACRITICS = re.compile(r"[\u064B-\u065F\u0670\u0640]")  # harakat, dagger alef, tatweel
FRENCH_HINTS = {
    "quoi", "quel", "quels", "quelle", "quelles", "que", "qu", "est", "les", "des", "le", "la", "du", "pour",
    "je", "dois", "mois", "semaine", "dernier", "derniere", "cette", "ce", "produits", "ventes", "prevision",
    "previsions", "commander", "meilleurs", "combien", "y", "a", "t", "il", "avons", "nous", "mes", "quoi",
    "recommander", "acheter", "aujourd", "hier", "annee", "jours", "anomalies", "anomalie", "modele",
}
ENGLISH_HINTS = {
    "what", "which", "should", "the", "for", "of", "is", "are", "any", "this", "last", "week", "month", "top",
    "products", "sales", "forecast", "reorder", "order", "how", "many", "i", "we", "my", "our", "show", "me",
    "year", "days", "today", "yesterday", "best", "anomalies", "model",
}

# Checked in this order: the first intent with a matching keyword wins ("top products" before "sales",
# "anomalies" before "forecast" so "unusual forecast" is still about anomalies).
INTENT_KEYWORDS = [
    ("anomalies", [
        "anomal", "unusual", "spike", "outlier", "abnormal", "strange",
        "inhabituel", "aberrant", "pic de", "pics de", "bizarre",
        "شذوذ", "شاذ", "غير عادي", "غير طبيعي", "غير طبيعيه", "انحراف", "غريب",
    ]),
    ("top_products", [
        "top product", "top seller", "top-selling", "top selling", "best seller", "best-seller", "best selling",
        "best-selling", "most sold", "sold the most", "sell the most", "sells the most", "top 5", "top 10",
        "best product",
        "meilleurs produits", "meilleur produit", "meilleures ventes", "plus vendu", "top produits", "top des produits",
        "افضل المنتجات", "افضل منتج", "الاكثر مبيعا", "اكثر المنتجات", "المنتجات الاكثر", "اكثر مبيعا",
    ]),
    ("reorder", [
        "reorder", "re-order", "order now", "should i order", "should we order", "to order", "what to buy",
        "should i buy", "should we buy", "replenish", "restock", "purchase suggestion", "stock out", "stockout",
        "run out",
        "commander", "commande", "recommander", "réapprovisionner", "reapprovisionner", "réassort", "reassort",
        "acheter", "rupture", "suggestions d'achat",
        "اطلب", "نطلب", "اعادة الطلب", "طلب", "اشتري", "نشتري", "شراء", "نفاد", "نفاذ", "تموين", "اقتراحات الشراء",
    ]),
    ("forecast", [
        "forecast", "predict", "projection", "expected demand", "demand for", "how much will",
        "prévision", "prevision", "prévoir", "prevoir", "prédiction", "prediction", "demande prévue",
        "توقع", "توقعات", "تنبؤ", "التنبؤ", "الطلب المتوقع",
    ]),
    ("abc_xyz", [
        "abc", "xyz", "segment", "classification", "class of", "classe",
        "تصنيف", "فئه",
    ]),
    ("kpis", [
        "kpi", "indicator", "key figures", "performance", "dashboard",
        "indicateur", "tableau de bord", "chiffres clés", "chiffres cles",
        "مؤشرات", "مؤشر", "الاداء",
    ]),
    ("model_comparison", [
        "which model", "best model", "model comparison", "compare model", "champion", "accuracy", "backtest",
        "modèle", "modele", "comparaison", "précision",
        "نموذج", "النماذج", "مقارنه", "دقه",
    ]),
    ("sales", [
        "sales", "sold", "revenue", "turnover", "how many did we sell", "sell",
        "ventes", "vendu", "chiffre d'affaires", "ca ",
        "مبيعات", "المبيعات", "بعنا", "بيع", "الايرادات",
    ]),
]

# (code, keywords); "last N days" is a pattern below. Order matters: "last week" before "week".
PERIOD_KEYWORDS = [
    ("yesterday", ["yesterday", "hier", "امس", "البارحه"]),
    ("today", ["today", "aujourd'hui", "aujourd hui", "aujourdhui", "اليوم"]),
    ("last_week", ["last week", "previous week", "past week", "semaine dernière", "semaine derniere",
                   "semaine passée", "semaine passee", "الاسبوع الماضي", "الاسبوع السابق"]),
    ("this_week", ["this week", "cette semaine", "هذا الاسبوع", "الاسبوع الحالي"]),
    ("last_month", ["last month", "previous month", "past month", "mois dernier", "mois passé", "mois passe",
                    "mois précédent", "mois precedent", "الشهر الماضي", "الشهر السابق"]),
    ("this_month", ["this month", "ce mois", "هذا الشهر", "الشهر الحالي"]),
    ("last_year", ["last year", "previous year", "année dernière", "annee derniere", "l'an dernier",
                   "l'année passée", "السنه الماضيه", "العام الماضي"]),
    ("this_year", ["this year", "cette année", "cette annee", "هذه السنه", "هذا العام", "السنه الحاليه"]),
]
LAST_N_DAYS = re.compile(
    r"(?:last|past|previous|derniers?|dernières?|آخر|اخر)\s+(\d{1,3})\s*(?:days?|jours?|ايام|يوما|يوم)"
    r"|(\d{1,3})\s+(?:derniers?|dernières?)\s+jours"
)
DEFAULT_PERIODS = {"sales": "last_30_days", "top_products": "last_30_days", "anomalies": "last_30_days",
                   "kpis": "last_30_days"}

# Words that may start the product part of "forecast for <product>"; articles after them are dropped.
PRODUCT_MARKERS = re.compile(
    r"(?:\bfor\b|\bof\b|\bon\b|\babout\b|\bpour\b|\bsur\b|\bdu\b|\bde la\b|\bdes\b|\bde\b|\bd'|\bلـ|\bل\s|\bعن\b|\bعلى\b|\bمن\b)\s*",
)
LEADING_ARTICLES = re.compile(r"^(?:the|a|an|le|la|les|l'|un|une|product|produit|article|المنتج|منتج)\s+",
                              re.IGNORECASE)
TRAILING_PERIOD_WORDS = re.compile(
    r"\s+(?:next|over|in|during|this|for the|dans|sur|pendant|le mois|la semaine|خلال|في|للشهر|للاسبوع).*$")


@dataclass
class Intent:
    name: str                      # one of INTENT_KEYWORDS' names, or "help"
    language: str = "en"
    period: str | None = None      # a resolve_period code
    days: int | None = None        # for "last_n_days"
    product_query: str = ""        # text that should name a product, when the intent takes one
    matched: list = field(default_factory=list)   # the keywords that decided, for logs and tests


def normalize(text):
    """Lower case, unified quotes, Arabic without diacritics/tatweel and with one alef, ya and ha form."""
    text = unicodedata.normalize("NFC", text or "").lower().replace("’", "'").replace("‘", "'")
    text = _ARABIC_DIACRITICS.sub("", text)
    text = re.sub("[إأآٱ]", "ا", text).replace("ى", "ي").replace("ة", "ه")
    return re.sub(r"\s+", " ", text).strip()


def _strip_accents(text):
    return "".join(c for c in unicodedata.normalize("NFD", text) if unicodedata.category(c) != "Mn")


def detect_language(question):
    """"ar", "fr" or "en": Arabic script wins; otherwise whichever language's common words are more
    frequent (French on ties only when the text has French accents)."""
    if ARABIC_CHARS.search(question or ""):
        return "ar"
    text = normalize(question)
    words = re.findall(r"[a-zàâäçéèêëîïôöùûüÿœ']+", text)
    plain = [_strip_accents(w) for w in re.split(r"[' ]", " ".join(words)) if w]
    french = sum(w in FRENCH_HINTS for w in plain)
    english = sum(w in ENGLISH_HINTS for w in plain)
    if french > english or (french == english and re.search(r"[àâçéèêëîïôûù]", text)):
        return "fr"
    return "en"


def _contains(text, keyword):
    keyword = normalize(keyword)
    if ARABIC_CHARS.search(keyword):
        # Arabic glues prepositions and articles to words (لـ، بـ، الـ): a substring is the useful test.
        return keyword in text
    return re.search(r"(?<![\w])" + re.escape(keyword), text) is not None


def detect_period(question):
    """(code, days) of the period the question names, or (None, None)."""
    text = normalize(question)
    match = LAST_N_DAYS.search(text)
    if match:
        days = int(match.group(1) or match.group(2))
        if 1 <= days <= 730:
            return "last_n_days", days
    for code, keywords in PERIOD_KEYWORDS:
        if any(_contains(text, k) for k in keywords):
            return code, None
    return None, None


def route(question):
    """The Intent of a question (``help`` when no rule matches)."""
    text = normalize(question)
    language = detect_language(question)
    period, days = detect_period(question)
    for name, keywords in INTENT_KEYWORDS:
        matched = [k for k in keywords if _contains(text, k)]
        if matched:
            intent = Intent(name=name, language=language, period=period or DEFAULT_PERIODS.get(name),
                            days=days, matched=matched)
            if name in ("forecast", "abc_xyz", "reorder", "anomalies", "sales"):
                # Only a forecast question names its product right after the keyword ("forecast
                # Office Chair"); the others need "for/of/pour/de..." before it.
                intent.product_query = extract_product_query(question, matched, require_marker=name != "forecast")
            return intent
    return Intent(name="help", language=language, period=period, days=days)


QUERY_STOPWORDS = {
    "the", "a", "an", "in", "on", "at", "this", "that", "last", "past", "next", "week", "month", "year", "day", "days",
    "today", "yesterday", "during", "over", "any", "all", "my", "our", "please", "now", "is", "are", "there",
    "le", "la", "les", "des", "du", "de", "ce", "cette", "mois", "semaine", "année", "jour", "jours", "dernier",
    "dernière", "derniers", "y", "a-t-il", "il", "tous", "toutes", "svp",
    "هذا", "هذه", "الشهر", "الاسبوع", "الماضي", "اليوم", "في", "كل",
}


def extract_product_query(question, matched_keywords=(), require_marker=False):
    """Text after the intent keyword that names a product, e.g. "Office Chair" in "forecast for
    the Office Chair next month"; "" when the question names none."""
    text = re.sub(r"[?!.؟،,;:]+", " ", question or "").strip()
    lowered = normalize(text)
    start = 0
    for keyword in matched_keywords:
        position = lowered.find(normalize(keyword))
        if position >= 0:
            start = max(start, position + len(normalize(keyword)))
    # normalize() keeps lengths except for collapsed spaces; re-collapse the original the same way.
    text = re.sub(r"\s+", " ", text)
    rest = text[start:]
    # Skip the rest of the keyword's word ("forecasts", "prévisions").
    rest = re.sub(r"^\S*\s*", "", rest) if rest[:1].strip() else rest
    marker = PRODUCT_MARKERS.search(rest)
    if marker:
        rest = rest[marker.end():]
    elif require_marker:
        return ""
    elif rest.lower().startswith(("sales", "demand", "ventes", "المبيعات")):
        rest = rest.split(" ", 1)[1] if " " in rest else ""
    rest = LEADING_ARTICLES.sub("", rest.strip())
    rest = TRAILING_PERIOD_WORDS.sub("", rest)
    for _code, keywords in PERIOD_KEYWORDS:
        for keyword in keywords:
            # Arabic normalisation maps letters one to one, so the normalised length cuts the original.
            if normalize(rest).endswith(normalize(keyword)):
                rest = rest[:len(rest) - len(normalize(keyword))].strip()
    rest = LAST_N_DAYS.sub("", normalize(rest)) if LAST_N_DAYS.search(normalize(rest)) else rest
    rest = rest.strip(" '\"«»")
    # "in the", "this week"...: words that never name a product mean no product was named.
    if all(word in QUERY_STOPWORDS or word.isdigit() for word in normalize(rest).split()):
        return ""
    return rest


def match_product(question, product_query, candidates):
    """Best product for the question among ``candidates`` [(id, name, code)], or None.

    A product whose code or full name appears in the question wins (longest first); then the one
    sharing most words with the extracted query (at least half of them). Matching is on the
    question only.
    """
    text = normalize(question)
    best, best_len = None, 0
    for product_id, name, code in candidates:
        for label in (code, name):
            label = normalize(label or "")
            if len(label) >= 3 and _contains(text, label) and len(label) > best_len:
                best, best_len = product_id, len(label)
    if best is not None:
        return best
    query_words = {w for w in re.findall(r"\w+", normalize(product_query)) if len(w) >= 3}
    if not query_words:
        return None
    scored = []
    for product_id, name, code in candidates:
        words = set(re.findall(r"\w+", normalize(f"{name} {code or ''}")))
        overlap = len(query_words & words)
        # At least half of the query's words: sharing one word ("SFAI", "Pack") is no match.
        if overlap and overlap / len(query_words) >= 0.5:
            scored.append((overlap / len(query_words), overlap / len(query_words | words), product_id))
    return max(scored)[2] if scored else None


def resolve_period(code, today, days=None):
    """(date_from, date_to) of a period code, date_to exclusive; weeks start on Monday.

    Codes: today, yesterday, this_week, last_week, this_month, last_month, this_year, last_year,
    last_7_days, last_30_days, last_90_days, last_n_days (with ``days``).
    """
    one = datetime.timedelta(days=1)
    if code == "today":
        return today, today + one
    if code == "yesterday":
        return today - one, today
    if code == "this_week":
        start = today - datetime.timedelta(days=today.weekday())
        return start, today + one
    if code == "last_week":
        start = today - datetime.timedelta(days=today.weekday() + 7)
        return start, start + datetime.timedelta(days=7)
    if code == "this_month":
        return today.replace(day=1), today + one
    if code == "last_month":
        end = today.replace(day=1)
        return (end - one).replace(day=1), end
    if code == "this_year":
        return today.replace(month=1, day=1), today + one
    if code == "last_year":
        end = today.replace(month=1, day=1)
        return end.replace(year=end.year - 1), end
    fixed = {"last_7_days": 7, "last_30_days": 30, "last_90_days": 90}
    if code in fixed or code == "last_n_days":
        n = fixed.get(code) or int(days or 30)
        if not 1 <= n <= 3660:
            raise ValueError(f"a period of {n} days is out of range")
        return today - datetime.timedelta(days=n - 1), today + one
    raise ValueError(f"unknown period {code!r}")


PERIOD_CODES = ("today", "yesterday", "this_week", "last_week", "this_month", "last_month", "this_year",
                "last_year", "last_7_days", "last_30_days", "last_90_days")
