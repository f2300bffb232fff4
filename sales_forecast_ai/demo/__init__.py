"""Demo data of sales_forecast_ai, as plain Python (never imports odoo).

`catalog` describes what the demo company sells, where and to whom; `simulation` turns that description
into two years of daily demand and customer orders. `models/sales_forecast_demo.py` writes the result
into Odoo. Keeping the simulation free of Odoo lets the engine lane test it in seconds.
"""
