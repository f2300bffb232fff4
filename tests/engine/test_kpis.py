"""Every KPI of the catalogue on a tiny hand-made period (and the period before)."""
import pytest

from sales_forecast_ai.engine.kpis import CATALOGUE, CODES, build, compute, trend

BEFORE = {"period_days": 10, "revenue": 800.0, "orders": 5, "stock_value": 400.0}
RAW = {
    "period_days": 10,
    "revenue": 1000.0, "cost": 600.0, "orders": 4, "quotations": 8, "units": 50, "delivered_units": 40,
    "returned_units": 2, "customers": 3, "products_sold": 2,
    "deliveries": 5, "deliveries_late": 1, "deliveries_done": 4, "deliveries_on_time": 3, "cycle_days": 10.0, "cycle_orders": 4,
    "stock_value": 600.0, "cogs": 250.0,
    "stock": {1: 20.0, 2: 0.0, 3: 100.0}, "demand": {1: 30.0, 2: 20.0}, "reorder_min": {1: 25.0, 3: 10.0},
    "total_products": 3, "new_products": 1,
    "forecast_abs_error": 12.0, "forecast_actual": 48.0, "forecast_smape_sum": 90.0, "forecast_points": 3,
    "anomalies_7d": 1, "anomalies_30d": 4, "products_with_model": 2, "last_training_date": "2024-06-01",
    "lead_days": 21.0, "receipts": 3, "customers_at_risk": 2,
}
EXPECTED = {
    "revenue": 1000.0,
    "revenue_growth": 25.0,             # (1000 - 800) / 800
    "gross_margin": 40.0,               # (1000 - 600) / 1000
    "avg_order_value": 250.0,           # 1000 / 4
    "revenue_per_product": 500.0,       # 1000 / 2
    "average_price": 20.0,              # 1000 / 50
    "orders": 4.0,
    "order_growth": -20.0,              # (4 - 5) / 5
    "units_sold": 50.0,
    "active_customers": 3.0,
    "quotation_conversion": 50.0,       # 4 / 8
    "return_rate": 5.0,                 # 2 / 40
    "fulfilment_rate": 80.0,            # 40 / 50
    "late_orders": 20.0,                # 1 / 5
    "on_time_delivery": 75.0,           # 3 / 4
    "order_cycle_time": 2.5,            # 10 / 4
    "stock_value": 600.0,
    "inventory_turnover": 0.5,          # 250 / ((600 + 400) / 2)
    "days_of_cover": 24.0,              # 120 units / (50 / 10 per day)
    "low_stock_count": 1.0,             # product 1: 20 < 14 days x 3/day; product 2 is out, not low
    "stockouts": 1.0,                   # product 2: demand but 0 on hand
    "below_rop": 1.0,                   # product 1: 20 < 25; product 3: 100 >= 10
    "active_products": 2.0,
    "total_products": 3.0,
    "new_products": 1.0,
    "forecast_wape": 25.0,              # 12 / 48
    "forecast_smape": 30.0,             # 90 / 3 points
    "anomalies_7d": 1.0,
    "anomalies_30d": 4.0,
    "products_with_model": 2.0,
    "last_training_date": "2024-06-01",
    "avg_lead_time": 7.0,               # 21 / 3
    "customers_at_risk": 2.0,
}


def test_catalogue_has_at_least_30_unique_kpis():
    assert len(CODES) >= 30 and len(set(CODES)) == len(CODES)
    assert set(EXPECTED) == set(CODES)
    assert all(unit in ("currency", "percent", "count", "days", "ratio", "units", "date")
               for _c, _n, unit, *_ in CATALOGUE)


def test_every_kpi_by_hand():
    values = compute(RAW, BEFORE)
    for code, expected in EXPECTED.items():
        assert values[code] == pytest.approx(expected), code


def test_rates_without_base_are_none_not_zero():
    values = compute({"period_days": 7})
    assert values["revenue"] == 0.0 and values["orders"] == 0.0 and values["customers_at_risk"] is None
    for code in ("revenue_growth", "gross_margin", "avg_order_value", "fulfilment_rate", "forecast_wape",
                 "inventory_turnover", "days_of_cover", "avg_lead_time"):
        assert values[code] is None, code


def test_build_previous_and_trend():
    rows = {r["code"]: r for r in build(compute(RAW, BEFORE), compute(BEFORE))}
    assert list(rows) == CODES
    assert rows["revenue"] == {"code": "revenue", "name": "Revenue", "unit": "currency", "category": "sales",
                               "better": "up", "value": 1000.0, "previous": 800.0, "trend": "up"}
    assert rows["orders"]["trend"] == "down" and rows["orders"]["previous"] == 5.0
    assert rows["stock_value"]["trend"] == "up"
    assert rows["revenue_growth"]["previous"] is None and rows["revenue_growth"]["trend"] == "flat"
    assert [r["code"] for r in build(compute(RAW), {}, codes=["orders", "revenue"])] == ["revenue", "orders"]
    assert trend(1.0, 1.0) == "flat" and trend(2, 1) == "up" and trend(None, 3) == "flat"
