"""Shared set-up of the assistant's tests: a fake Groq server wired into Settings, and a best seller."""
import datetime

from odoo import Command, fields

from .groq_fake_server import FakeGroqServer

KEY = "gsk_sfai_chat_test_key"


def start_fake_groq(case, env, mode="groq", timeout="1", max_retries="0"):
    """Start the fake server for the test class and point the assistant's settings at it."""
    server = FakeGroqServer().start()
    case.addClassCleanup(server.stop)
    params = env["ir.config_parameter"].sudo()
    params.set_param("sales_forecast_ai.groq_api_key", KEY)
    params.set_param("sales_forecast_ai.groq_base_url", server.base_url)
    params.set_param("sales_forecast_ai.groq_timeout", timeout)
    params.set_param("sales_forecast_ai.groq_max_retries", max_retries)
    params.set_param("sales_forecast_ai.chat_mode", mode)
    params.set_param("sales_forecast_ai.chat_daily_limit", "0")
    return server


def last_month_day(env):
    today = fields.Date.context_today(env["res.users"])
    return (today.replace(day=1) - datetime.timedelta(days=1)).replace(day=15)


def confirmed_sale(env, product, qty, day, company=None, warehouse=None, price=None):
    """A confirmed order of ``qty`` ``product`` dated ``day`` at noon."""
    company = company or env.company
    env = env(context=dict(env.context, allowed_company_ids=company.ids))
    partner = env["res.partner"].create({"name": "SFAI Chat Customer", "company_id": company.id})
    line = {"product_id": product.id, "product_uom_qty": qty}
    if price is not None:
        line["price_unit"] = price
    order = env["sale.order"].with_company(company).create({
        "partner_id": partner.id, "company_id": company.id,
        **({"warehouse_id": warehouse.id} if warehouse else {}),
        "order_line": [Command.create(line)],
    })
    order.action_confirm()
    order.date_order = datetime.datetime.combine(day, datetime.time(12, 0))
    env.flush_all()
    return order
