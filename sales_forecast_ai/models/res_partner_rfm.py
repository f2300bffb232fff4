"""A customer's RFM segment and churn risk in the current company, on the contact form and lists.

Read from ``sales.forecast.customer`` (one row per company): computed, not stored, so a contact
shared by two companies shows each company its own figures. Sales figures: only for users who
see every sale.
"""
from odoo import api, fields, models

from .sales_forecast_customer import SEGMENTS

GROUPS = "sales_team.group_sale_salesman_all_leads"


class ResPartner(models.Model):
    _inherit = "res.partner"

    sf_rfm_segment = fields.Selection(SEGMENTS, "RFM Segment", compute="_compute_sf_rfm", search="_search_sf_rfm_segment",
                                      groups=GROUPS)
    sf_churn_risk = fields.Boolean("Churn Risk", compute="_compute_sf_rfm", search="_search_sf_churn_risk",
                                   groups=GROUPS,
                                   help="No order for longer than this customer's usual gap times the churn factor.")
    sf_rfm_score = fields.Char("RFM Score", compute="_compute_sf_rfm", groups=GROUPS)
    sf_recommendation_ids = fields.One2many("sales.forecast.recommendation", "partner_id",
                                            string="Suggested Products", groups="sales_team.group_sale_salesman",
                                            domain=[("kind", "=", "customer")])

    def _compute_sf_rfm(self):
        rows = self.env["sales.forecast.customer"].search([("company_id", "=", self.env.company.id),
                                                          ("partner_id", "in", self.ids)])
        by_partner = {row.partner_id.id: row for row in rows}
        for partner in self:
            row = by_partner.get(partner.id)
            partner.sf_rfm_segment = row.segment if row else False
            partner.sf_churn_risk = bool(row and row.churn_risk)
            partner.sf_rfm_score = row.rfm_score if row else False

    def _search_sf_rfm_segment(self, operator, value):
        return self._search_sf_customer("segment", operator, value)

    def _search_sf_churn_risk(self, operator, value):
        if operator not in ("=", "!="):
            return NotImplemented
        positive = bool(value) == (operator == "=")
        ids = self._sf_customer_partner_ids([("churn_risk", "=", True)])
        return [("id", "in" if positive else "not in", ids)]

    def _search_sf_customer(self, field, operator, value):
        if operator not in ("=", "!=", "in", "not in"):
            return NotImplemented
        ids = self._sf_customer_partner_ids([(field, operator, value)])
        return [("id", "in", ids)]

    @api.model
    def _sf_customer_partner_ids(self, domain):
        rows = self.env["sales.forecast.customer"].search([("company_id", "=", self.env.company.id), *domain])
        return rows.partner_id.ids
