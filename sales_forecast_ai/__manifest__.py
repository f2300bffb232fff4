{
    "name": "Sales Forecast AI",
    "summary": "Demand forecasts, purchase suggestions and a data assistant from your own sales history",
    "description": """
Forecasts demand per product and warehouse from confirmed sales and imported history.
Four neural networks (MLP, CNN, LSTM, CNN-LSTM) compete every night with statistical
baselines in a rolling-origin backtest; each product gets the model that wins.
""",
    "version": "18.0.1.0.0",
    "category": "Inventory/Purchase",
    "author": "sales_forecast_ai",
    "website": "https://github.com/sales-forecast-ai/sales_forecast_ai",
    "license": "LGPL-3",
    "depends": ["sale_management", "stock", "purchase", "sale_stock", "purchase_stock"],
    "external_dependencies": {
        # PyPI names, so Odoo tells an admin exactly what to pip install.
        "python": ["numpy", "pandas", "scikit-learn", "statsforecast", "holidays", "groq"],
    },
    "data": [
        "security/sales_forecast_security.xml",
        "security/ir.model.access.csv",
        "security/sales_forecast_rules.xml",
        "data/ir_sequence.xml",
        "data/ir_cron.xml",
        "views/menus.xml",
        "views/sales_forecast_result_views.xml",
        "views/sales_forecast_run_views.xml",
        "views/sales_forecast_history_views.xml",
        "views/product_views.xml",
        "wizard/sales_history_import_views.xml",
        "views/sales_forecast_dashboard_views.xml",
        "views/res_config_settings_views.xml",
        "views/sales_analysis_views.xml",
        "security/replenishment_rules.xml",
        "data/ir_cron_replenishment.xml",
        "views/sales_forecast_suggestion_views.xml",
        "views/res_config_settings_replenishment_views.xml",
    ],
    "demo": [
        "data/sales_forecast_demo.xml",
    ],
    "assets": {
        "web.assets_backend": ["sales_forecast_ai/static/src/**/*"],
        "web.assets_tests": ["sales_forecast_ai/static/tests/tours/**/*"],
    },
    "uninstall_hook": "uninstall_hook",
    "application": True,
    "installable": True,
}
