import datetime

import pytz

from odoo import fields
from odoo.exceptions import ValidationError
from odoo.tests import tagged

from .common import SalesForecastCase

CRON_XMLID = "sales_forecast_ai.ir_cron_forecast_run"
COMPANY_SETTINGS = {
    "forecast_history_days": 400,
    "forecast_horizon_days": 45,
    "forecast_backtest_folds": 3,
    "forecast_lead_time_days": 12,
    "forecast_service_level": 97.5,
}
DEFAULTS = {
    "forecast_history_days": 730,
    "forecast_horizon_days": 90,
    "forecast_backtest_folds": 2,
    "forecast_lead_time_days": 7,
    "forecast_service_level": 95.0,
}


@tagged("post_install", "-at_install")
class TestSettings(SalesForecastCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.admin = cls.users["admin"]
        cls.company_a = cls.env.company
        cls.company_b = cls.env["res.company"].create({"name": "SFAI Casablanca SARL"})
        cls.admin.write({"company_ids": [(4, cls.company_b.id)]})

    def _settings(self, company, **values):
        return self.env["res.config.settings"].with_user(self.admin).with_company(company).create(values)

    def _save(self, company, **values):
        self._settings(company, **values).execute()

    def test_new_company_gets_defaults(self):
        settings = self._settings(self.company_b)
        for name, value in DEFAULTS.items():
            self.assertEqual(settings[name], value, name)
            self.assertEqual(self.company_b[name], value, name)
        self.assertEqual(settings.forecast_groq_model, "llama-3.3-70b-versatile")
        self.assertEqual(settings.forecast_groq_base_url, "https://api.groq.com")

    def test_company_settings_round_trip_per_company(self):
        before_a = {name: self.company_a[name] for name in COMPANY_SETTINGS}
        self._save(self.company_b, **COMPANY_SETTINGS)
        self.env.invalidate_all()
        for name, value in COMPANY_SETTINGS.items():
            self.assertEqual(self.company_b[name], value, name)
            self.assertEqual(self.company_a[name], before_a[name], f"{name} leaked to another company")
        reopened = self._settings(self.company_b)
        for name, value in COMPANY_SETTINGS.items():
            self.assertEqual(reopened[name], value, name)
        self.assertEqual(self._settings(self.company_a).forecast_horizon_days, before_a["forecast_horizon_days"])

    def test_global_settings_round_trip(self):
        self._save(self.company_a, forecast_groq_api_key="gsk_round_trip", forecast_groq_model="llama-3.1-8b-instant",
                   forecast_groq_base_url="https://proxy.example.com/groq", forecast_model_pool="naive, ets,mlp")
        params = self.env["ir.config_parameter"].sudo()
        self.assertEqual(params.get_param("sales_forecast_ai.groq_api_key"), "gsk_round_trip")
        self.assertEqual(params.get_param("sales_forecast_ai.groq_model"), "llama-3.1-8b-instant")
        self.assertEqual(params.get_param("sales_forecast_ai.groq_base_url"), "https://proxy.example.com/groq")
        self.assertEqual(params.get_param("sales_forecast_ai.model_pool"), "naive, ets,mlp")
        # Global: the other company's settings show the same values.
        self.assertEqual(self._settings(self.company_b).forecast_groq_model, "llama-3.1-8b-instant")

    def test_invalid_values_are_refused_and_nothing_is_saved(self):
        horizon = self.company_a.forecast_horizon_days
        bad_values = [
            {"forecast_history_days": 10},
            {"forecast_horizon_days": 0},
            {"forecast_backtest_folds": 0},
            {"forecast_lead_time_days": -1},
            {"forecast_service_level": 100.0},
            {"forecast_groq_base_url": "api.groq.com"},
            {"forecast_model_pool": "naive;lstm"},
        ]
        for bad in bad_values:
            values = dict({"forecast_horizon_days": horizon + 1}, **bad)
            with self.subTest(bad=bad), self.assertRaises(ValidationError), self.env.cr.savepoint():
                self._save(self.company_a, **values)
            self.env.invalidate_all()
            self.assertEqual(self.company_a.forecast_horizon_days, horizon)
        with self.assertRaises(ValidationError):
            self._settings(self.company_a, forecast_cron_hour=24)


@tagged("post_install", "-at_install")
class TestTrainingSchedule(SalesForecastCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.admin = cls.users["admin"]  # tz Europe/Paris
        cls.cron = cls.env.ref(CRON_XMLID, raise_if_not_found=False)

    def setUp(self):
        super().setUp()
        if not self.cron:
            self.skipTest(f"{CRON_XMLID} is not part of this build")

    def _settings(self, **values):
        return self.env["res.config.settings"].with_user(self.admin).create(values)

    def test_schedule_round_trip(self):
        self._settings(forecast_cron_active=False, forecast_cron_interval="weeks", forecast_cron_hour=3).execute()
        self.assertFalse(self.cron.active)
        self.assertEqual((self.cron.interval_number, self.cron.interval_type), (1, "weeks"))
        local_next = pytz.utc.localize(self.cron.nextcall).astimezone(pytz.timezone("Europe/Paris"))
        self.assertEqual(local_next.hour, 3)
        self.assertTrue(fields.Datetime.now() < self.cron.nextcall <= fields.Datetime.now() + datetime.timedelta(days=1))
        reopened = self._settings()
        self.assertTrue(reopened.forecast_cron_available)
        self.assertEqual((reopened.forecast_cron_active, reopened.forecast_cron_interval, reopened.forecast_cron_hour),
                         (False, "weeks", 3))

        self._settings(forecast_cron_active=True, forecast_cron_interval="days", forecast_cron_hour=3).execute()
        self.assertTrue(self.cron.active)
        self.assertEqual(self.cron.interval_type, "days")

    def test_saving_other_settings_keeps_the_next_run(self):
        nextcall = fields.Datetime.now() + datetime.timedelta(days=5, hours=1)
        self.cron.write({"nextcall": nextcall, "interval_number": 1, "interval_type": "weeks"})
        self._settings(forecast_horizon_days=60).execute()
        self.assertEqual(self.cron.nextcall, nextcall)

    def test_custom_interval_is_kept(self):
        self.cron.write({"interval_number": 6, "interval_type": "hours"})
        settings = self._settings()
        self.assertEqual(settings.forecast_cron_interval, "custom")
        settings.execute()
        self.assertEqual((self.cron.interval_number, self.cron.interval_type), (6, "hours"))

    def test_missing_cron_is_tolerated(self):
        self.cron.unlink()
        settings = self._settings(forecast_horizon_days=61, forecast_cron_active=True)
        self.assertFalse(settings.forecast_cron_available)
        settings.execute()
        self.assertEqual(self.env.company.forecast_horizon_days, 61)
