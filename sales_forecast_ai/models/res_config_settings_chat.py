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

    # Defaults of the switches that are on out of the box come from data/sales_forecast_chat_data.xml:
    # Odoo deletes a parameter saved as False/0, so a field default would turn them back on.
    forecast_chat_mode = fields.Selection(
        CHAT_MODES, string="Assistant", default="groq", config_parameter="sales_forecast_ai.chat_mode")
    forecast_chat_daily_limit = fields.Integer(
        "Questions per User per Day", config_parameter="sales_forecast_ai.chat_daily_limit",
        help="0: no limit.")
    forecast_chat_log_questions = fields.Boolean(
        "Log Questions", config_parameter="sales_forecast_ai.chat_log_questions",
        help="Write every question in the server log (conversations are always kept for their own user).")
    forecast_chat_log_tool_calls = fields.Boolean(
        "Log Tool Calls", config_parameter="sales_forecast_ai.chat_log_tool_calls",
        help="Keep the data tools each answer called, with their arguments, and write them in the server log.")
    forecast_chat_log_tokens = fields.Boolean(
        "Log Token Counts", config_parameter="sales_forecast_ai.chat_log_tokens",
        help="Keep Groq's prompt and completion token counts of each answer, and write them in the server log.")

    @api.constrains("forecast_chat_daily_limit")
    def _check_forecast_chat_daily_limit(self):
        if any(settings.forecast_chat_daily_limit < 0 for settings in self):
            raise ValidationError(_("The daily question limit is a number of questions, 0 for no limit."))

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
