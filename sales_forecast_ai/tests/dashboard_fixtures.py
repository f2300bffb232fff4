"""A done forecast run with results, points and scores, written directly: the dashboard tests check
what the dashboard reads, not how a run computes it (the run's own tests cover that). Scores and
confidence are in percent, as a run stores them (models/sales_forecast_run_units.py)."""
import datetime

from odoo import Command, fields

HORIZON = 30


def create_forecast_fixture(env, company=None):
    """Two products x two warehouses of ``company`` with a done run, plus one confirmed sale.

    Returns a dict of the records the tests assert on.
    """
    company = company or env.company
    env = env(context=dict(env.context, allowed_company_ids=company.ids))
    warehouse_1 = env["stock.warehouse"].search([("company_id", "=", company.id)], limit=1)
    warehouse_2 = env["stock.warehouse"].create({
        "name": "SFAI Depot", "code": "SFD", "company_id": company.id})
    product_a, product_b, product_c = env["product.product"].create([
        {"name": "SFAI Tour Product A", "is_storable": True, "default_code": "SFAI-A"},
        {"name": "SFAI Tour Product B", "is_storable": True, "default_code": "SFAI-B"},
        {"name": "SFAI Tour Product C", "is_storable": True, "default_code": "SFAI-C"},
    ])
    now = fields.Datetime.now()
    run = env["sales.forecast.run"].create({"company_id": company.id, "trigger": "manual"})
    run.write({
        "state": "done",
        "date_start": now - datetime.timedelta(minutes=4, seconds=12),
        "date_end": now,
        "series_total": 4,
        "series_done": 4,
        "series_failed": 1,
        "progress": 100.0,
    })
    env["sales.forecast.run.score"].create([
        {"run_id": run.id, "model": "mlp", "family": "neural", "rmse": 3.1, "mae": 2.2, "smape": 31.0,
         "mase": 0.71, "wape": 24.0, "bias": 10.0, "n_params": 1345, "rmse_train": 2.8, "rmse_val": 3.0, "wins": 2},
        {"run_id": run.id, "model": "ets", "family": "statistical", "rmse": 3.4, "mae": 2.5, "smape": 35.0,
         "mase": 0.78, "wape": 27.0, "bias": -20.0, "n_params": 3, "rmse_train": 3.2, "rmse_val": 3.3, "wins": 1},
    ])
    common = {"run_id": run.id, "company_id": company.id, "is_latest": True, "status": "ok"}
    Result = env["sales.forecast.result"]
    result_a1 = Result.create({
        **common, "product_id": product_a.id, "warehouse_id": warehouse_1.id, "champion": "mlp",
        "reason": "won on MASE 0.71 vs 0.78 for ets", "demand_class": "smooth", "trend": "UP",
        "confidence": 82.0, "total_7": 70.0, "total_30": 300.0, "total_90": 900.0})
    result_a2 = Result.create({
        **common, "product_id": product_a.id, "warehouse_id": warehouse_2.id, "champion": "ets",
        "demand_class": "erratic", "trend": "STABLE", "confidence": 60.0,
        "total_7": 24.0, "total_30": 100.0, "total_90": 310.0})
    result_b1 = Result.create({
        **common, "product_id": product_b.id, "warehouse_id": warehouse_1.id, "champion": "mlp",
        "demand_class": "intermittent", "trend": "DOWN", "confidence": 40.0,
        "total_7": 11.0, "total_30": 50.0, "total_90": 140.0})
    # A series the engine could not forecast: listed on the run, never counted by the dashboard.
    Result.create({**common, "product_id": product_c.id, "warehouse_id": warehouse_1.id, "status": "failed"})
    today = fields.Date.context_today(env["sales.forecast.run"])
    for result, level in ((result_a1, 10.0), (result_a2, 3.3), (result_b1, 1.7)):
        env["sales.forecast.point"].create(_forecast_points(result, level, today))
    env["sales.forecast.candidate"].create([
        {"result_id": result_a1.id, "model": "mlp", "is_champion": True, "rmse": 2.9, "mae": 2.1, "smape": 28.0,
         "mase": 0.71, "wape": 22.0, "bias": 5.0},
        {"result_id": result_a1.id, "model": "ets", "rmse": 3.2, "mae": 2.4, "smape": 31.0, "mase": 0.78,
         "wape": 25.0, "bias": -10.0},
    ])
    history = _imported_history(env, company, warehouse_1, product_a, today)
    sale_day = today - datetime.timedelta(days=5)
    order = _confirmed_sale(env, company, warehouse_1, product_a, 7.0, sale_day)
    # The dashboard reads stored daily sales: build them as the nightly run would.
    env["sales.forecast.dashboard.daily"]._refresh_company(company)
    return {
        "company": company, "run": run, "warehouse_1": warehouse_1, "warehouse_2": warehouse_2,
        "product_a": product_a, "product_b": product_b, "product_c": product_c,
        "result_a1": result_a1, "result_a2": result_a2, "result_b1": result_b1,
        "sale_order": order, "sale_day": sale_day, "today": today, "history": history,
    }


def _imported_history(env, company, warehouse, product, today):
    """90 days of imported demand ending a week before the Odoo sale, with a weekly pattern and a
    slow rise; every 9th day has no row (a day without sales)."""
    rows = []
    for offset in range(96, 6, -1):
        day = today - datetime.timedelta(days=offset)
        if offset % 9 == 0:
            continue
        weekend_boost = 5.0 if day.weekday() in (4, 5) else 0.0
        rows.append({"company_id": company.id, "product_id": product.id, "warehouse_id": warehouse.id,
                     "date": day, "quantity": 6.0 + (96 - offset) * 0.05 + weekend_boost + offset % 3})
    return env["sales.forecast.history"].create(rows)


def _forecast_points(result, level, today):
    """A weekly pattern (busier Fridays and Saturdays) with intervals widening over the horizon."""
    points = []
    for step in range(1, HORIZON + 1):
        day = today + datetime.timedelta(days=step)
        forecast = level * (1.5 if day.weekday() in (4, 5) else 1.0)
        spread = 0.2 * level * (1 + step / HORIZON)
        points.append({
            "result_id": result.id, "date": day, "forecast": forecast,
            "lo_80": max(forecast - 1.28 * spread, 0.0), "hi_80": forecast + 1.28 * spread,
            "lo_95": max(forecast - 1.96 * spread, 0.0), "hi_95": forecast + 1.96 * spread,
        })
    return points


def _confirmed_sale(env, company, warehouse, product, qty, day):
    partner = env["res.partner"].create({"name": "SFAI Dashboard Customer"})
    order = env["sale.order"].create({
        "partner_id": partner.id,
        "company_id": company.id,
        "warehouse_id": warehouse.id,
        "order_line": [Command.create({"product_id": product.id, "product_uom_qty": qty})],
    })
    order.action_confirm()
    # Confirmation stamps the order with "now"; noon of the wanted day stays that day in any
    # company time zone within +/- 11 hours.
    order.date_order = datetime.datetime.combine(day, datetime.time(12, 0))
    env.flush_all()
    return order
