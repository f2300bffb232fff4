"""The built-in assistant's answers: a tool result turned into a few sentences in the question's language.

Plain text (the widget shows it as text, never as HTML), bullet lines starting with "- ".
"""
from __future__ import annotations

TEXT = {
    "label": {
        "en": "Built-in assistant (offline)",
        "fr": "Assistant intégré (hors ligne)",
        "ar": "المساعد المدمج (دون اتصال)",
    },
    "help": {
        "en": "I am the built-in assistant and understand a few questions, for example:\n"
              "- What should I reorder?\n- Forecast for <product>\n- Top products last month\n"
              "- Any anomalies this week?\n- Sales this month\n- Which model is best?",
        "fr": "Je suis l'assistant intégré et je comprends quelques questions, par exemple :\n"
              "- Que dois-je commander ?\n- Prévision pour <produit>\n- Meilleurs produits le mois dernier\n"
              "- Des anomalies cette semaine ?\n- Ventes ce mois-ci\n- Quel modèle est le meilleur ?",
        "ar": "أنا المساعد المدمج وأفهم بعض الأسئلة، مثل:\n"
              "- ماذا يجب أن أطلب؟\n- توقعات <منتج>\n- أفضل المنتجات الشهر الماضي\n"
              "- هل توجد حالات شاذة هذا الأسبوع؟\n- المبيعات هذا الشهر\n- ما هو أفضل نموذج؟",
    },
    "unavailable": {
        "en": "{what} is not available yet in this database (the feature is not installed or has not run yet).",
        "fr": "{what} n'est pas encore disponible dans cette base (fonction non installée ou pas encore calculée).",
        "ar": "{what} غير متاح بعد في قاعدة البيانات هذه (الميزة غير مثبتة أو لم تُحسب بعد).",
    },
    "what_reorder": {"en": "Purchase suggestions", "fr": "Les suggestions d'achat", "ar": "اقتراحات الشراء"},
    "what_anomalies": {"en": "Anomaly detection", "fr": "La détection d'anomalies", "ar": "كشف الحالات الشاذة"},
    "what_abc_xyz": {"en": "ABC/XYZ classification", "fr": "La classification ABC/XYZ", "ar": "تصنيف ABC/XYZ"},
    "what_kpis": {"en": "KPIs", "fr": "Les indicateurs (KPI)", "ar": "مؤشرات الأداء"},
    "what_sales": {"en": "Sales figures", "fr": "Les chiffres de ventes", "ar": "أرقام المبيعات"},
    "reorder_none": {
        "en": "Nothing needs ordering now: no purchase suggestion is urgent.",
        "fr": "Rien à commander pour l'instant : aucune suggestion d'achat n'est urgente.",
        "ar": "لا شيء يحتاج إلى طلب الآن: لا توجد اقتراحات شراء عاجلة.",
    },
    "reorder_head": {
        "en": "{order_now} product(s) to order now, {watch} to watch:",
        "fr": "{order_now} produit(s) à commander maintenant, {watch} à surveiller :",
        "ar": "{order_now} منتج(ات) يجب طلبها الآن، و{watch} للمراقبة:",
    },
    "reorder_row": {
        "en": "- {product} ({warehouse}): order {qty} from {vendor}, {urgency}{stockout}",
        "fr": "- {product} ({warehouse}) : commander {qty} chez {vendor}, {urgency}{stockout}",
        "ar": "- {product} ({warehouse}): اطلب {qty} من {vendor}، {urgency}{stockout}",
    },
    "stockout": {"en": ", stock-out expected {date}", "fr": ", rupture prévue le {date}",
                 "ar": "، نفاد متوقع في {date}"},
    "urgency_order_now": {"en": "order now", "fr": "à commander", "ar": "اطلب الآن"},
    "urgency_watch": {"en": "watch", "fr": "à surveiller", "ar": "للمراقبة"},
    "urgency_ok": {"en": "ok", "fr": "ok", "ar": "جيد"},
    "no_vendor": {"en": "no vendor set", "fr": "aucun fournisseur", "ar": "بدون مورد"},
    "product_missing": {
        "en": "Which product? Ask e.g. \"forecast for <product name or reference>\".",
        "fr": "Quel produit ? Demandez par ex. « prévision pour <nom ou référence du produit> ».",
        "ar": "أي منتج؟ اسأل مثلا \"توقعات <اسم المنتج أو مرجعه>\".",
    },
    "product_not_found": {
        "en": "I found no product matching \"{query}\".",
        "fr": "Aucun produit ne correspond à « {query} ».",
        "ar": "لم أجد منتجا يطابق \"{query}\".",
    },
    "no_forecast": {
        "en": "{product} has no forecast yet: a forecast run has not covered it (or has not run).",
        "fr": "{product} n'a pas encore de prévision : aucun calcul ne l'a couvert (ou aucun n'a tourné).",
        "ar": "لا توجد توقعات لـ {product} بعد: لم يشمله أي تشغيل للتنبؤ.",
    },
    "forecast_head": {
        "en": "Forecast for {product} (run {run}):",
        "fr": "Prévision pour {product} (calcul {run}) :",
        "ar": "توقعات {product} (التشغيل {run}):",
    },
    "forecast_row": {
        "en": "- {warehouse}: {total_7} next 7 days, {total_30} next 30 days, {total_90} next 90 days; "
              "trend {trend}, confidence {confidence}%, model {champion}",
        "fr": "- {warehouse} : {total_7} sur 7 jours, {total_30} sur 30 jours, {total_90} sur 90 jours ; "
              "tendance {trend}, confiance {confidence} %, modèle {champion}",
        "ar": "- {warehouse}: {total_7} خلال 7 أيام، {total_30} خلال 30 يوما، {total_90} خلال 90 يوما؛ "
              "الاتجاه {trend}، الثقة {confidence}%، النموذج {champion}",
    },
    "forecast_failed": {
        "en": "- {warehouse}: no forecast ({message})",
        "fr": "- {warehouse} : pas de prévision ({message})",
        "ar": "- {warehouse}: لا توجد توقعات ({message})",
    },
    "top_none": {
        "en": "No confirmed sales between {date_from} and {date_to}.",
        "fr": "Aucune vente confirmée entre le {date_from} et le {date_to}.",
        "ar": "لا توجد مبيعات مؤكدة بين {date_from} و{date_to}.",
    },
    "top_head": {
        "en": "Top products from {date_from} to {date_to} (quantity sold):",
        "fr": "Meilleurs produits du {date_from} au {date_to} (quantité vendue) :",
        "ar": "أفضل المنتجات من {date_from} إلى {date_to} (الكمية المباعة):",
    },
    "top_row": {"en": "- {product}: {quantity}{amount}", "fr": "- {product} : {quantity}{amount}",
                "ar": "- {product}: {quantity}{amount}"},
    "sales_total": {
        "en": "Sales from {date_from} to {date_to}: {quantity} units sold{amount}.",
        "fr": "Ventes du {date_from} au {date_to} : {quantity} unités vendues{amount}.",
        "ar": "المبيعات من {date_from} إلى {date_to}: {quantity} وحدة مباعة{amount}.",
    },
    "amount": {"en": " for {amount} {currency}", "fr": " pour {amount} {currency}", "ar": " بقيمة {amount} {currency}"},
    "anomalies_none": {
        "en": "No anomaly detected between {date_from} and {date_to}.",
        "fr": "Aucune anomalie détectée entre le {date_from} et le {date_to}.",
        "ar": "لم يتم رصد أي حالة شاذة بين {date_from} و{date_to}.",
    },
    "anomalies_head": {
        "en": "{count} anomal(y/ies) between {date_from} and {date_to}:",
        "fr": "{count} anomalie(s) entre le {date_from} et le {date_to} :",
        "ar": "{count} حالة شاذة بين {date_from} و{date_to}:",
    },
    "anomalies_row": {
        "en": "- {date} {product} ({warehouse}): {kind}, {actual} sold vs {expected} expected, severity {severity}",
        "fr": "- {date} {product} ({warehouse}) : {kind}, {actual} vendus pour {expected} attendus, gravité {severity}",
        "ar": "- {date} {product} ({warehouse}): {kind}، بيع {actual} مقابل {expected} متوقع، الخطورة {severity}",
    },
    "models_none": {
        "en": "No forecast run has finished yet, so there is no model comparison.",
        "fr": "Aucun calcul de prévision n'est terminé : pas encore de comparaison de modèles.",
        "ar": "لم ينته أي تشغيل للتنبؤ بعد، لذا لا توجد مقارنة بين النماذج.",
    },
    "models_head": {
        "en": "Run {run}: {best} has the lowest error (MASE {mase}; below 1 beats the naive forecast). "
              "Series won per model:",
        "fr": "Calcul {run} : {best} a l'erreur la plus faible (MASE {mase} ; moins de 1 bat la prévision naïve). "
              "Séries gagnées par modèle :",
        "ar": "التشغيل {run}: {best} لديه أقل خطأ (MASE {mase}؛ أقل من 1 يتفوق على التوقع البسيط). "
              "السلاسل التي فاز بها كل نموذج:",
    },
    "models_row": {"en": "- {model}: MASE {mase}, WAPE {wape}%, {wins} series won",
                   "fr": "- {model} : MASE {mase}, WAPE {wape} %, {wins} séries gagnées",
                   "ar": "- {model}: MASE {mase}، WAPE {wape}%، فاز بـ {wins} سلسلة"},
    "kpis_head": {"en": "Key figures ({period}):", "fr": "Indicateurs clés ({period}) :",
                  "ar": "المؤشرات الرئيسية ({period}):"},
    "kpis_row": {"en": "- {name}: {value} {unit} (previous {previous})",
                 "fr": "- {name} : {value} {unit} (précédent {previous})",
                 "ar": "- {name}: {value} {unit} (السابق {previous})"},
    "abc_none": {"en": "No product is classified yet.", "fr": "Aucun produit n'est encore classé.",
                 "ar": "لم يتم تصنيف أي منتج بعد."},
    "abc_row": {"en": "- {product} ({warehouse}): {abc}{xyz}", "fr": "- {product} ({warehouse}) : {abc}{xyz}",
                "ar": "- {product} ({warehouse}): {abc}{xyz}"},
    "more": {"en": "… and {count} more.", "fr": "… et {count} de plus.", "ar": "… و{count} أخرى."},
    "error": {
        "en": "I could not get this information: {detail}",
        "fr": "Je n'ai pas pu obtenir cette information : {detail}",
        "ar": "تعذر الحصول على هذه المعلومات: {detail}",
    },
    "forbidden": {
        "en": "Your access rights do not cover this information: {detail}",
        "fr": "Vos droits d'accès ne couvrent pas cette information : {detail}",
        "ar": "صلاحياتك لا تشمل هذه المعلومات: {detail}",
    },
}


def t(key, language, **values):
    entry = TEXT[key]
    return entry.get(language, entry["en"]).format(**values)


def number(value, digits=0):
    if value is None or value is False:
        return "-"
    value = float(value)
    if abs(value - round(value)) < 1e-9:
        return f"{int(round(value)):,}".replace(",", " ")
    return f"{value:,.{digits}f}".replace(",", " ")


def render(intent_name, data, language="en"):
    """Text of the built-in answer for ``intent_name`` from its tool's result ``data``."""
    language = language if language in ("en", "fr", "ar") else "en"
    if intent_name == "help" or data is None:
        return t("help", language)
    if data.get("unavailable"):
        return t("unavailable", language, what=t(f"what_{intent_name}", language) if f"what_{intent_name}" in TEXT
                 else intent_name)
    if data.get("forbidden"):
        return t("forbidden", language, detail=data.get("error", ""))
    if data.get("error"):
        return t("error", language, detail=data["error"])
    renderer = RENDERERS.get(intent_name)
    return renderer(data, language) if renderer else t("help", language)


def _more(rows_shown, total, language):
    return [t("more", language, count=total - rows_shown)] if total > rows_shown else []


def _reorder(data, language):
    rows = [r for r in data.get("rows", []) if r.get("urgency") in ("order_now", "watch")]
    if not rows:
        return t("reorder_none", language)
    counts = data.get("counts", {})
    lines = [t("reorder_head", language, order_now=counts.get("order_now", 0), watch=counts.get("watch", 0))]
    for row in rows[:10]:
        stockout = t("stockout", language, date=row["stockout_date"]) if row.get("stockout_date") else ""
        lines.append(t("reorder_row", language, product=row["product"], warehouse=row.get("warehouse") or "-",
                       qty=number(row.get("qty_to_order")), vendor=row.get("vendor") or t("no_vendor", language),
                       urgency=t(f"urgency_{row['urgency']}", language), stockout=stockout))
    return "\n".join(lines + _more(min(len(rows), 10), counts.get("order_now", 0) + counts.get("watch", 0),
                                   language))


def _forecast(data, language):
    if not data.get("query") and not data.get("product"):
        return t("product_missing", language)
    if not data.get("found", True) or not data.get("product"):
        return t("product_not_found", language, query=data.get("query", ""))
    series = data.get("series") or []
    if not series:
        return t("no_forecast", language, product=data["product"])
    lines = [t("forecast_head", language, product=data["product"], run=data.get("run") or "-")]
    for row in series:
        if row.get("status") in ("failed", "empty", "all_zero"):
            lines.append(t("forecast_failed", language, warehouse=row.get("warehouse") or "-",
                           message=row.get("message") or row.get("status")))
            continue
        lines.append(t("forecast_row", language, warehouse=row.get("warehouse") or "-",
                       total_7=number(row.get("total_7"), 1), total_30=number(row.get("total_30"), 1),
                       total_90=number(row.get("total_90"), 1), trend=row.get("trend") or "-",
                       confidence=number(row.get("confidence_pct") or 0),
                       champion=row.get("champion") or "-"))
    return "\n".join(lines)


def _amount(row, data, language):
    if row.get("amount") is None:
        return ""
    return t("amount", language, amount=number(row["amount"]), currency=data.get("currency") or "")


def _top_products(data, language):
    rows = data.get("rows") or []
    if not rows:
        return t("top_none", language, date_from=data.get("date_from"), date_to=data.get("date_to"))
    lines = [t("top_head", language, date_from=data.get("date_from"), date_to=data.get("date_to"))]
    lines += [t("top_row", language, product=r["product"], quantity=number(r.get("quantity"), 1),
                amount=_amount(r, data, language)) for r in rows]
    if data.get("note"):
        lines.append(data["note"])
    return "\n".join(lines)


def _sales(data, language):
    text = t("sales_total", language, date_from=data.get("date_from"), date_to=data.get("date_to"),
             quantity=number(data.get("quantity"), 1), amount=_amount(data, data, language))
    rows = data.get("rows") or []
    lines = [text] + [t("top_row", language, product=r.get("name") or r.get("product"),
                        quantity=number(r.get("quantity"), 1), amount=_amount(r, data, language)) for r in rows[:10]]
    if data.get("note"):
        lines.append(data["note"])
    return "\n".join(lines)


def _anomalies(data, language):
    rows = data.get("rows") or []
    if not rows:
        return t("anomalies_none", language, date_from=data.get("date_from"), date_to=data.get("date_to"))
    lines = [t("anomalies_head", language, count=data.get("count", len(rows)), date_from=data.get("date_from"),
               date_to=data.get("date_to"))]
    for row in rows[:10]:
        lines.append(t("anomalies_row", language, date=row.get("date"), product=row.get("product"),
                       warehouse=row.get("warehouse") or "-", kind=row.get("kind"),
                       actual=number(row.get("actual"), 1), expected=number(row.get("expected"), 1),
                       severity=row.get("severity")))
    return "\n".join(lines + _more(min(len(rows), 10), data.get("count", len(rows)), language))


def _model_comparison(data, language):
    rows = data.get("rows") or []
    if not rows:
        return t("models_none", language)
    best = min(rows, key=lambda r: float(r.get("mase") if r.get("mase") is not None else float("inf")))
    lines = [t("models_head", language, run=data.get("run") or "-", best=best["model"],
               mase=number(best.get("mase"), 2))]
    lines += [t("models_row", language, model=r["model"], mase=number(r.get("mase"), 2),
                wape=number(r.get("wape_pct"), 1), wins=r.get("wins", 0)) for r in rows]
    return "\n".join(lines)


def _kpis(data, language):
    rows = data.get("rows") or []
    lines = [t("kpis_head", language, period=data.get("period") or "")]
    lines += [t("kpis_row", language, name=r.get("name"), value=_kpi_value(r.get("value")),
                unit=r.get("unit_label", r.get("unit")) or "",
                previous=_kpi_value(r.get("previous"))) for r in rows[:15]]
    return "\n".join(lines)


def _kpi_value(value):
    return number(value, 1) if isinstance(value, (int, float)) and not isinstance(value, bool) else (value or "-")


def _abc_xyz(data, language):
    rows = data.get("rows") or []
    if not rows:
        return t("abc_none", language)
    lines = [t("abc_row", language, product=r.get("product"), warehouse=r.get("warehouse") or "-",
               abc=(r.get("abc_class") or "-").upper(), xyz=(r.get("xyz_class") or "").upper()) for r in rows[:15]]
    return "\n".join(lines + _more(min(len(rows), 15), data.get("count", len(rows)), language))


RENDERERS = {
    "reorder": _reorder,
    "forecast": _forecast,
    "top_products": _top_products,
    "sales": _sales,
    "anomalies": _anomalies,
    "model_comparison": _model_comparison,
    "kpis": _kpis,
    "abc_xyz": _abc_xyz,
}
