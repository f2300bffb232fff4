"""The names of the KPI catalogue (engine/kpis.py) as translation terms.

The engine knows no Odoo, so its names would never reach the module's .pot; listed here with
``_lt`` they are exported, and ``sales.forecast.kpi.get_kpi_catalogue`` returns them translated.
"""
from odoo.tools.translate import LazyTranslate

_lt = LazyTranslate(__name__)
# The catalogue's names live in the engine, which knows no Odoo; listing them here puts them in the
# module's .pot so that get_kpi_catalogue() can return them translated.
KPI_NAME_TERMS = (
    _lt("Revenue"),
    _lt("Revenue Growth"),
    _lt("Gross Margin"),
    _lt("Average Order Value"),
    _lt("Revenue per Product"),
    _lt("Average Selling Price"),
    _lt("Orders"),
    _lt("Order Growth"),
    _lt("Units Sold"),
    _lt("Active Customers"),
    _lt("Quotation Conversion"),
    _lt("Return Rate"),
    _lt("Fulfilment Rate"),
    _lt("Late Deliveries"),
    _lt("On-Time Delivery"),
    _lt("Order Cycle Time"),
    _lt("Stock Value"),
    _lt("Inventory Turnover"),
    _lt("Days of Cover"),
    _lt("Low-Stock Products"),
    _lt("Stock-Outs"),
    _lt("Products Below Reorder Point"),
    _lt("Active Products"),
    _lt("Total Products"),
    _lt("New Products (30 Days)"),
    _lt("Forecast Error (WAPE)"),
    _lt("Forecast Error (sMAPE)"),
    _lt("Anomalies (7 Days)"),
    _lt("Anomalies (30 Days)"),
    _lt("Products with a Trained Model"),
    _lt("Last Training"),
    _lt("Average Purchase Lead Time"),
    _lt("Customers at Risk"),
)
