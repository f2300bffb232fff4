"""The KPI catalogue and the arithmetic that turns aggregated figures into KPI values.

Odoo reads one ``raw`` dict of aggregated figures per period (sums and counts from grouped SQL
reads, per-product totals for the stock KPIs, see ``RAW_KEYS``); ``compute(raw, before)`` turns a
period's figures, plus the period before (for growth and averages over two stock snapshots), into
KPI values; ``build`` adds the previous period's value and the trend.

Each catalogue entry: ``code``, ``name``, ``unit`` (currency, percent, count, days, ratio, units,
date), ``category``, ``sales_money`` (revenue-bearing: only shown to users who may read sales
figures) and ``better`` ("up"/"down"/None: whether a rise is good news). Rates without a base
(no orders, no stock...) are ``None``, never 0: "no data" is not "zero".
"""
from __future__ import annotations

import math

LOW_STOCK_DAYS = 14.0

CATALOGUE = [
    # code, name, unit, category, sales_money, better
    ("revenue", "Revenue", "currency", "sales", True, "up"),
    ("revenue_growth", "Revenue Growth", "percent", "sales", True, "up"),
    ("gross_margin", "Gross Margin", "percent", "sales", True, "up"),
    ("avg_order_value", "Average Order Value", "currency", "sales", True, "up"),
    ("revenue_per_product", "Revenue per Product", "currency", "sales", True, "up"),
    ("average_price", "Average Selling Price", "currency", "sales", True, "up"),
    ("orders", "Orders", "count", "sales", False, "up"),
    ("order_growth", "Order Growth", "percent", "sales", False, "up"),
    ("units_sold", "Units Sold", "units", "sales", False, "up"),
    ("active_customers", "Active Customers", "count", "sales", False, "up"),
    ("quotation_conversion", "Quotation Conversion", "percent", "sales", False, "up"),
    ("return_rate", "Return Rate", "percent", "sales", False, "down"),
    ("fulfilment_rate", "Fulfilment Rate", "percent", "delivery", False, "up"),
    ("late_orders", "Late Deliveries", "percent", "delivery", False, "down"),
    ("on_time_delivery", "On-Time Delivery", "percent", "delivery", False, "up"),
    ("order_cycle_time", "Order Cycle Time", "days", "delivery", False, "down"),
    ("stock_value", "Stock Value", "currency", "stock", False, None),
    ("inventory_turnover", "Inventory Turnover", "ratio", "stock", False, "up"),
    ("days_of_cover", "Days of Cover", "days", "stock", False, None),
    ("low_stock_count", "Low-Stock Products", "count", "stock", False, "down"),
    ("stockouts", "Stock-Outs", "count", "stock", False, "down"),
    ("below_rop", "Products Below Reorder Point", "count", "stock", False, "down"),
    ("active_products", "Active Products", "count", "products", False, "up"),
    ("total_products", "Total Products", "count", "products", False, None),
    ("new_products", "New Products (30 Days)", "count", "products", False, None),
    ("forecast_wape", "Forecast Error (WAPE)", "percent", "forecast", False, "down"),
    ("forecast_smape", "Forecast Error (sMAPE)", "percent", "forecast", False, "down"),
    ("anomalies_7d", "Anomalies (7 Days)", "count", "forecast", False, "down"),
    ("anomalies_30d", "Anomalies (30 Days)", "count", "forecast", False, "down"),
    ("products_with_model", "Products with a Trained Model", "count", "forecast", False, "up"),
    ("last_training_date", "Last Training", "date", "forecast", False, None),
    ("avg_lead_time", "Average Purchase Lead Time", "days", "purchase", False, "down"),
    ("customers_at_risk", "Customers at Risk", "count", "customers", True, "down"),
]
CODES = [c[0] for c in CATALOGUE]

# What a period's ``raw`` holds (missing keys count as 0 / empty).
RAW_KEYS = (
    "period_days",        # length of the period in days
    "revenue", "cost",    # confirmed lines ordered in the period: untaxed revenue, cost (qty x product cost)
    "orders", "quotations", "units", "delivered_units", "returned_units", "customers", "products_sold",
    "deliveries", "deliveries_late", "deliveries_done", "deliveries_on_time",  # outgoing pickings
    "cycle_days", "cycle_orders",  # days from order to delivery, summed over the deliveries of a sale
    "stock_value", "cogs",  # stock value at the period's end; cost of goods shipped in the period
    "stock",                # {product: on-hand quantity at the period's end}
    "demand",               # {product: units sold in the period}
    "reorder_min",          # {product: reorder-point minimum}
    "total_products", "new_products",
    "forecast_abs_error", "forecast_actual", "forecast_smape_sum", "forecast_points",
    "anomalies_7d", "anomalies_30d", "products_with_model", "last_training_date",
    "lead_days", "receipts",  # purchase receipts done in the period: sum of days ordered -> received, count
    "customers_at_risk",      # churn-risk customers now (a snapshot: only the current period has it)
)


def _num(raw, key):
    value = raw.get(key) if raw else None
    return float(value) if value is not None else 0.0


def ratio(num, den, scale=1.0):
    return num / den * scale if den else None


def growth(current, previous):
    """Percent change; None without a previous base."""
    return (current - previous) / previous * 100.0 if previous else None


def compute(raw, before=None) -> dict:
    """KPI values of one period from its aggregated figures (``before``: the period before)."""
    g = lambda key: _num(raw, key)  # noqa: E731
    stock, demand, rop = raw.get("stock") or {}, raw.get("demand") or {}, raw.get("reorder_min") or {}
    days = g("period_days") or 1.0
    daily = {p: q / days for p, q in demand.items() if q > 0}
    total_stock = sum(q for q in stock.values() if q > 0)
    total_daily = sum(daily.values())
    value_before = _num(before, "stock_value") if before else None
    avg_value = (g("stock_value") + value_before) / 2 if value_before is not None else g("stock_value")
    return {
        "revenue": g("revenue"),
        "revenue_growth": growth(g("revenue"), _num(before, "revenue")),
        "gross_margin": ratio(g("revenue") - g("cost"), g("revenue"), 100.0),
        "avg_order_value": ratio(g("revenue"), g("orders")),
        "revenue_per_product": ratio(g("revenue"), g("products_sold")),
        "average_price": ratio(g("revenue"), g("units")),
        "orders": g("orders"),
        "order_growth": growth(g("orders"), _num(before, "orders")),
        "units_sold": g("units"),
        "active_customers": g("customers"),
        "quotation_conversion": ratio(g("orders"), g("quotations"), 100.0),
        "return_rate": ratio(g("returned_units"), g("delivered_units"), 100.0),
        "fulfilment_rate": ratio(g("delivered_units"), g("units"), 100.0),
        "late_orders": ratio(g("deliveries_late"), g("deliveries"), 100.0),
        "on_time_delivery": ratio(g("deliveries_on_time"), g("deliveries_done"), 100.0),
        "order_cycle_time": ratio(g("cycle_days"), g("cycle_orders")),
        "stock_value": g("stock_value"),
        "inventory_turnover": ratio(g("cogs"), avg_value),
        "days_of_cover": ratio(total_stock, total_daily),
        "low_stock_count": float(sum(1 for p, d in daily.items()
                                     if 0 < stock.get(p, 0.0) < LOW_STOCK_DAYS * d)),
        "stockouts": float(sum(1 for p in daily if stock.get(p, 0.0) <= 0)),
        "below_rop": float(sum(1 for p, m in rop.items() if stock.get(p, 0.0) < m)),
        "active_products": g("products_sold"),
        "total_products": g("total_products"),
        "new_products": g("new_products"),
        "forecast_wape": ratio(g("forecast_abs_error"), g("forecast_actual"), 100.0),
        "forecast_smape": ratio(g("forecast_smape_sum"), g("forecast_points")),
        "anomalies_7d": g("anomalies_7d"),
        "anomalies_30d": g("anomalies_30d"),
        "products_with_model": g("products_with_model"),
        "last_training_date": raw.get("last_training_date") or None,
        "avg_lead_time": ratio(g("lead_days"), g("receipts")),
        "customers_at_risk": float(raw["customers_at_risk"]) if raw.get("customers_at_risk") is not None else None,
    }


def trend(value, previous, tolerance=1e-9) -> str:
    """"up", "down" or "flat" (also when either side is missing or not a number)."""
    if not isinstance(value, (int, float)) or not isinstance(previous, (int, float)):
        if value is not None and previous is not None and value != previous:
            return "up" if str(value) > str(previous) else "down"
        return "flat"
    if math.isclose(value, previous, rel_tol=tolerance, abs_tol=tolerance):
        return "flat"
    return "up" if value > previous else "down"


def build(current, previous, codes=None, rounding=2) -> list[dict]:
    """[{code, name, unit, category, better, value, previous, trend}] in catalogue order.

    ``current``/``previous`` are ``compute`` outputs; ``codes`` restricts the list.
    """
    wanted = set(codes) if codes is not None else None
    out = []
    for code, name, unit, category, _money, better in CATALOGUE:
        if wanted is not None and code not in wanted:
            continue
        value, prev = current.get(code), previous.get(code)
        if isinstance(value, float):
            value = round(value, rounding)
        if isinstance(prev, float):
            prev = round(prev, rounding)
        out.append({"code": code, "name": name, "unit": unit, "category": category, "better": better,
                    "value": value, "previous": prev, "trend": trend(value, prev)})
    return out
