import datetime
import logging
import time

from odoo import Command, api, fields, models

from ..demo import catalog, simulation

_logger = logging.getLogger(__name__)

XMLID_PREFIX = "sales_forecast_ai.demo_"


class SalesForecastDemo(models.AbstractModel):
    """Writes the demo company of `demo/catalog.py` and its simulated sales history into Odoo.

    Called once, from data/sales_forecast_demo.xml, when the add-on is installed with demo data.
    Master data goes through the ORM; the ~40k historical sale order lines are cloned in SQL from
    ORM-made prototypes (see sales_forecast_demo_orders.py), because confirming orders one by one
    would create pickings and take many minutes.
    """

    _name = "sales.forecast.demo"
    _description = "Sales Forecast demo data generator"

    @api.model
    def _generate_demo_data(self, seed=simulation.DEFAULT_SEED, days=simulation.HISTORY_DAYS, end_date=None):
        if self.env.ref(XMLID_PREFIX + "warehouse_casablanca", raise_if_not_found=False):
            return  # already generated: demo data must not double on a module update
        started = time.monotonic()
        main_warehouse = self.env.ref("stock.warehouse0")
        self = self.with_company(main_warehouse.company_id).with_context(
            tracking_disable=True, mail_create_nolog=True, mail_create_nosubscribe=True, mail_notrack=True)
        # History stops yesterday: today is not over, a partial day would look like a sales drop.
        end_date = end_date or fields.Date.context_today(self) - datetime.timedelta(days=1)

        warehouses = self._demo_warehouses(main_warehouse)
        categories = self._demo_categories()
        partners = self._demo_partners()
        products = self._demo_products(categories, partners)
        sim = simulation.simulate(end_date, days=days, seed=seed)
        orders = simulation.build_orders(sim, seed=seed)
        line_count = self._demo_write_orders(orders, warehouses, partners, products)
        self._demo_stock(sim, warehouses, products)
        _logger.info("sales_forecast_ai demo: %d products, %d sale orders, %d lines in %.1fs",
                     len(products), len(orders), line_count, time.monotonic() - started)

    # Master data --------------------------------------------------------------------------------

    def _demo_xmlid(self, name, record):
        self.env["ir.model.data"]._update_xmlids(
            [{"xml_id": XMLID_PREFIX + name, "record": record, "noupdate": True}])

    def _demo_warehouses(self, main_warehouse):
        warehouses = {}
        for spec in catalog.WAREHOUSES:
            if spec.existing_xmlid:
                warehouse = self.env.ref(spec.existing_xmlid)
                warehouse.name = spec.name
            else:
                warehouse = self.env["stock.warehouse"].create({
                    "name": spec.name,
                    "code": spec.code,
                    "company_id": main_warehouse.company_id.id,
                })
                self._demo_xmlid(f"warehouse_{spec.key}", warehouse)
            warehouses[spec.key] = warehouse
        return warehouses

    def _demo_categories(self):
        parent = self.env.ref("product.product_category_all")
        records = self.env["product.category"].create([
            {"name": spec.name, "parent_id": parent.id} for spec in catalog.CATEGORIES])
        for spec, record in zip(catalog.CATEGORIES, records):
            self._demo_xmlid(f"category_{spec.key}", record)
        return dict(zip((spec.key for spec in catalog.CATEGORIES), records))

    def _demo_partners(self):
        specs = [(spec, "vendor") for spec in catalog.VENDORS] + [(spec, "customer") for spec in catalog.CUSTOMERS]
        countries = {code: self.env.ref(f"base.{code.lower()}") for code in {s.country_code for s, _ in specs}}
        records = self.env["res.partner"].create([{
            "name": spec.name,
            "is_company": True,
            "city": spec.city,
            "country_id": countries[spec.country_code].id,
            "supplier_rank": int(role == "vendor"),
            "customer_rank": int(role == "customer"),
        } for spec, role in specs])
        for (spec, role), record in zip(specs, records):
            self._demo_xmlid(f"{role}_{spec.key}", record)
        return {spec.key: record for (spec, _role), record in zip(specs, records)}

    def _demo_products(self, categories, partners):
        buy_route = self.env.ref("purchase_stock.route_warehouse0_buy", raise_if_not_found=False)
        company = self.env.company
        records = self.env["product.product"].create([{
            "name": spec.name,
            "default_code": spec.default_code,
            "categ_id": categories[spec.category].id,
            "type": "consu",
            "is_storable": True,
            "list_price": spec.list_price,
            "standard_price": round(spec.list_price * spec.supplies[0].price_ratio, 2),
            # Demo prices are net: taxes would only make the cloned history harder to verify.
            "taxes_id": [Command.clear()],
            "supplier_taxes_id": [Command.clear()],
            "route_ids": [Command.set(buy_route.ids)] if buy_route else [],
            "seller_ids": [Command.create({
                "partner_id": partners[supply.vendor].id,
                "delay": supply.lead_days,
                "min_qty": supply.min_qty,
                "price": round(spec.list_price * supply.price_ratio, 2),
                "sequence": 10 * (rank + 1),
                "company_id": company.id,
            }) for rank, supply in enumerate(spec.supplies)],
        } for spec in catalog.PRODUCTS])
        for spec, record in zip(catalog.PRODUCTS, records):
            self._demo_xmlid(f"product_{spec.key}", record)
        return dict(zip((spec.key for spec in catalog.PRODUCTS), records))

    def _demo_stock(self, sim, warehouses, products):
        """On-hand stock today: a few weeks of recent sales, so some products need reordering and some don't."""
        quants = []
        for spec in catalog.PRODUCTS:
            for warehouse_key in spec.warehouses:
                recent = sim.quantities[spec.key, warehouse_key][-28:].mean()
                quantity = round(recent * spec.stock_days)
                if quantity > 0:
                    quants.append({
                        "product_id": products[spec.key].id,
                        "location_id": warehouses[warehouse_key].lot_stock_id.id,
                        "inventory_quantity": quantity,
                    })
        self.env["stock.quant"].with_context(inventory_mode=True).create(quants).action_apply_inventory()
