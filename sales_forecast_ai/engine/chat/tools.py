"""The read-only tools the model may call, as OpenAI/Groq function specifications.

The Odoo side implements each one (as the current user) and offers only those whose data exists in
the database; the built-in assistant calls the same implementations.
"""
from __future__ import annotations

from .intents import PERIOD_CODES

_PERIOD = {
    "type": "string", "enum": list(PERIOD_CODES),
    "description": "Named period; weeks start on Monday. Ignored when date_from and date_to are given.",
}
_DATE = {"type": "string", "description": "YYYY-MM-DD"}
_PRODUCT = {"type": "string", "description": "Product name or internal reference, as the user wrote it."}


def _spec(name, description, properties=None, required=()):
    return {"type": "function", "function": {
        "name": name,
        "description": description,
        "parameters": {"type": "object", "properties": properties or {}, "required": list(required)},
    }}


TOOL_SPECS = {
    "get_sales": _spec(
        "get_sales",
        "Confirmed sales of the company over a period: total quantity (and amount when the user may see "
        "prices), optionally for one product or grouped by product, warehouse or month.",
        {"period": _PERIOD, "date_from": _DATE, "date_to": {**_DATE, "description": "YYYY-MM-DD, inclusive"},
         "product": _PRODUCT, "group_by": {"type": "string", "enum": ["none", "product", "warehouse", "month"]}}),
    "get_top_products": _spec(
        "get_top_products",
        "Best-selling products over a period, by quantity sold (with amounts when the user may see prices).",
        {"period": _PERIOD, "date_from": _DATE, "date_to": {**_DATE, "description": "YYYY-MM-DD, inclusive"},
         "limit": {"type": "integer", "minimum": 1, "maximum": 20}}),
    "get_product_forecast": _spec(
        "get_product_forecast",
        "A product's latest demand forecast per warehouse: next 7/30/90-day totals, the next days with 80% "
        "intervals, trend, confidence, demand class, the winning model and every candidate model's backtest score.",
        {"product": _PRODUCT}, required=["product"]),
    "explain_model_comparison": _spec(
        "explain_model_comparison",
        "The latest forecast run's model comparison: every model's backtest errors (MASE, WAPE, sMAPE, RMSE, "
        "bias) pooled over all series and how many series each model won. Lower errors are better; MASE below "
        "1 beats the naive forecast."),
    "get_purchase_suggestions": _spec(
        "get_purchase_suggestions",
        "What to reorder: the latest purchase suggestions with quantity, vendor, urgency (order_now, watch, "
        "ok), expected stock-out date and the reason.",
        {"urgency": {"type": "string", "enum": ["order_now", "watch", "ok", "any"]}, "product": _PRODUCT,
         "limit": {"type": "integer", "minimum": 1, "maximum": 25}}),
    "get_abc_xyz": _spec(
        "get_abc_xyz",
        "ABC (revenue share) and XYZ (demand variability) classes of products, optionally of one product or "
        "one class, with the count of products per class pair.",
        {"product": _PRODUCT, "abc_class": {"type": "string", "enum": ["a", "b", "c"]},
         "xyz_class": {"type": "string", "enum": ["x", "y", "z"]}}),
    "get_anomalies": _spec(
        "get_anomalies",
        "Unusual sales days (spikes and drops) detected over a period, with expected and actual quantities "
        "and severity.",
        {"period": _PERIOD, "date_from": _DATE, "date_to": {**_DATE, "description": "YYYY-MM-DD, inclusive"},
         "product": _PRODUCT, "severity": {"type": "string", "enum": ["high", "medium", "low", "any"]}}),
    "get_kpis": _spec(
        "get_kpis",
        "Key performance indicators of the company over a period (revenue, orders, stock, forecast accuracy...), "
        "each with the previous period's value and the trend.",
        {"period": _PERIOD}),
}

# The built-in assistant's intent -> the tool that answers it.
INTENT_TOOLS = {
    "sales": "get_sales",
    "top_products": "get_top_products",
    "forecast": "get_product_forecast",
    "model_comparison": "explain_model_comparison",
    "reorder": "get_purchase_suggestions",
    "abc_xyz": "get_abc_xyz",
    "anomalies": "get_anomalies",
    "kpis": "get_kpis",
}


def intent_arguments(intent):
    """The tool arguments the built-in assistant passes for an Intent."""
    args = {}
    if intent.period:
        args["period"] = intent.period
    if intent.days:
        args["days"] = intent.days
    if intent.product_query:
        args["product"] = intent.product_query
    if intent.name == "reorder":
        args.setdefault("urgency", "any")
    return args
