"""Administrator controls of the data assistant: on/off, daily cap, what is logged, Groq's model list."""
from odoo import _, api, fields, models
from odoo.exceptions import AccessError, ValidationError

CHAT_MODES = [
    ("groq", "Groq, with the built-in assistant as fallback"),
    ("builtin", "Built-in assistant only (nothing leaves the server)"),
    ("off", "Off"),
]


class ResConfigSettings(models.TransientModel):
    _inherit = "res.config.settings"

    forecast_chat_mode = fields.Selection(
        CHAT_MODES, string="Assistant", default="groq", config_parameter="sales_forecast_ai.chat_mode")
    # Stored by get_values/set_values rather than config_parameter: Odoo deletes a parameter saved as
    # 0/False, which would bring back a default of 50 or "on" instead of what the administrator chose.
    forecast_chat_daily_limit = fields.Integer("Questions per User per Day", help="0: no limit.")
    forecast_chat_log_questions = fields.Boolean(
        "Log Questions",
        help="Write every question in the server log (conversations are always kept for their own user).")
    forecast_chat_log_tool_calls = fields.Boolean(
        "Log Tool Calls",
        help="Keep the data tools each answer called, with their arguments, and write them in the server log.")
    forecast_chat_log_tokens = fields.Boolean(
        "Log Token Counts",
        help="Keep Groq's prompt and completion token counts of each answer, and write them in the server log.")

    @api.constrains("forecast_chat_daily_limit")
    def _check_forecast_chat_daily_limit(self):
        if any(settings.forecast_chat_daily_limit < 0 for settings in self):
            raise ValidationError(_("The daily question limit is a number of questions, 0 for no limit."))

    @api.model
    def get_values(self):
        res = super().get_values()
        config = self.env["sales.forecast.assistant"]._get_chat_config()
        res.update(
            forecast_chat_daily_limit=config["daily_limit"],
            forecast_chat_log_questions=config["log_questions"],
            forecast_chat_log_tool_calls=config["log_tool_calls"],
            forecast_chat_log_tokens=config["log_tokens"],
        )
        return res

    def set_values(self):
        super().set_values()
        # sudo: settings are saved by administrators only (res.config.settings.execute checks it)
        params = self.env["ir.config_parameter"].sudo()
        params.set_param("sales_forecast_ai.chat_daily_limit", str(self.forecast_chat_daily_limit or 0))
        for name in ("questions", "tool_calls", "tokens"):
            params.set_param(f"sales_forecast_ai.chat_log_{name}", str(bool(self[f"forecast_chat_log_{name}"])))

    def action_forecast_groq_list_models(self):
        """Ask Groq which models the configured key may use, and show them (or why it could not)."""
        if not self.env.user._is_system():
            raise AccessError(_("Only administrators can query the Groq account."))
        self.ensure_one()
        # The key and URL on the page, saved or not: an administrator checks a key before saving it.
        assistant = self.env["sales.forecast.assistant"]
        models_ids, error = assistant._list_groq_models(
            api_key=self.forecast_groq_api_key, base_url=self.forecast_groq_base_url)
        if error:
            message, notif_type = error, "danger"
        elif not models_ids:
            message, notif_type = _("The Groq account offers no model."), "warning"
        else:
            current = self.forecast_groq_model or assistant._get_chat_config()["model"]
            state = (_("The model in use, %s, is among them.", current) if current in models_ids
                     else _("The model in use, %s, is NOT among them: pick one of these.", current))
            message, notif_type = _("Models available: %(models)s. %(state)s",
                                    models=", ".join(sorted(models_ids)), state=state), "info"
        return {
            "type": "ir.actions.client",
            "tag": "display_notification",
            "params": {"title": _("Groq models"), "message": message, "type": notif_type, "sticky": True},
        }
