"""One conversation of one user with the data assistant, in one company.

Sessions and their messages are private: a global record rule keeps every user (administrators
included) to their own, in their allowed companies. Users create sessions ("new conversation");
the turns are written by ``sales.forecast.assistant.ask`` only.
"""
from odoo import api, fields, models

HISTORY_TURNS = 8
HISTORY_CHARS = 2000


class SalesForecastChatSession(models.Model):
    _name = "sales.forecast.chat.session"
    _description = "Assistant Conversation"
    _order = "last_message_date desc, id desc"
    _check_company_auto = True

    name = fields.Char(required=True, default=lambda self: self.env._("New conversation"))
    user_id = fields.Many2one("res.users", required=True, readonly=True, index=True, ondelete="cascade",
                              default=lambda self: self.env.user)
    company_id = fields.Many2one("res.company", required=True, readonly=True, index=True,
                                 default=lambda self: self.env.company)
    message_ids = fields.One2many("sales.forecast.chat.message", "session_id", string="Messages", readonly=True)
    message_count = fields.Integer(compute="_compute_message_count")
    last_message_date = fields.Datetime(readonly=True, index=True, default=fields.Datetime.now)
    active = fields.Boolean(default=True)

    @api.depends("message_ids")
    def _compute_message_count(self):
        groups = self.env["sales.forecast.chat.message"]._read_group(
            [("session_id", "in", self.ids)], groupby=["session_id"], aggregates=["__count"])
        counts = {session.id: count for session, count in groups}
        for session in self:
            session.message_count = counts.get(session.id, 0)

    @api.model_create_multi
    def create(self, vals_list):
        # A conversation always belongs to whoever starts it, in the company they are working in:
        # nobody opens a session in another user's name or company over RPC.
        for vals in vals_list:
            vals.update(user_id=self.env.user.id, company_id=self.env.company.id)
            vals.pop("message_ids", None)
            vals.pop("last_message_date", None)
        return super().create(vals_list)

    def _get_history(self):
        """The last turns as [(role, text)], oldest first, each cut to HISTORY_CHARS: what the model
        is shown of the conversation so far."""
        self.ensure_one()
        messages = self.env["sales.forecast.chat.message"].search(
            [("session_id", "=", self.id)], order="id desc", limit=HISTORY_TURNS)
        return [(m.role, (m.content or "")[:HISTORY_CHARS]) for m in reversed(messages)]
