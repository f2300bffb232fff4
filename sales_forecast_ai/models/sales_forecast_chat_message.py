"""One turn of a conversation: the user's question or the assistant's answer, with what it used."""
from odoo import fields, models


class SalesForecastChatMessage(models.Model):
    _name = "sales.forecast.chat.message"
    _description = "Assistant Message"
    _order = "id"

    session_id = fields.Many2one("sales.forecast.chat.session", required=True, index=True, ondelete="cascade",
                                 readonly=True)
    user_id = fields.Many2one(related="session_id.user_id", store=True, index=True)
    company_id = fields.Many2one(related="session_id.company_id", store=True)
    role = fields.Selection([("user", "User"), ("assistant", "Assistant")], required=True, readonly=True)
    content = fields.Text(readonly=True)
    language = fields.Char(readonly=True, help="Language of the question (en, fr, ar), which the answer follows.")
    source = fields.Selection([("groq", "Groq"), ("builtin", "Built-in assistant")], readonly=True)
    error_code = fields.Char(readonly=True, help="Why Groq did not answer, when it did not.")
    record_refs = fields.Json("Records Used", readonly=True,
                              help="[{model, id, name}] of the records the answer was built from.")
    tool_calls = fields.Json(readonly=True, help="Tools called and their arguments (when logging is on).")
    prompt_tokens = fields.Integer(readonly=True)
    completion_tokens = fields.Integer(readonly=True)
