import datetime

from odoo import Command, api, models
from odoo.tools import SQL


class SalesForecastDemo(models.AbstractModel):
    """The demo sales history: thousands of confirmed orders written in a few SQL statements.

    The ORM makes one real confirmed order per customer and one draft line per product: these
    prototypes carry every column Odoo and the installed modules compute (addresses, pricelist,
    team, descriptions, units, delivery method...). Each historical order and line is a copy of its
    prototype row with the date, quantity, discount and amounts replaced, so no picking is created
    and the rows read exactly as confirmed orders whose goods have not been delivered yet.
    """

    _inherit = "sales.forecast.demo"

    @api.model
    def _demo_write_orders(self, orders, warehouses, partners, products):
        """Write `simulation.DemoOrder`s as confirmed sale orders; returns the number of lines."""
        salesman = self.env.ref("base.user_admin")
        first_orders = {}
        for order in orders:
            first_orders.setdefault(order.customer, order)
        prototypes = {
            customer: self.env["sale.order"].create(self._demo_order_vals(order, warehouses, partners, salesman))
            for customer, order in first_orders.items()
        }
        any_first = next(iter(first_orders.values()))
        draft = self.env["sale.order"].create(dict(
            self._demo_order_vals(any_first, warehouses, partners, salesman), state="draft",
            order_line=[Command.create({"product_id": product.id, "product_uom_qty": 1.0})
                        for product in products.values()]))
        line_prototypes = self._demo_line_prototypes(draft, products)
        self.env.flush_all()  # the SQL below copies the prototypes' rows

        clones = [order for order in orders if first_orders[order.customer] is not order]
        order_ids = self._demo_clone_orders(clones, prototypes)
        order_ids.update({id(order): prototypes[customer].id for customer, order in first_orders.items()})
        line_rows = [
            (order_ids[id(order)], line_prototypes[product_key], 10 * sequence, quantity, discount)
            for order in orders
            for sequence, (product_key, quantity, discount) in enumerate(order.lines, start=1)
        ]
        self._demo_clone_lines(line_rows)
        self._demo_update_order_totals(list(order_ids.values()))
        # The SQL above bypassed the ORM: drop what it cached about orders and lines.
        self.env.invalidate_all()
        draft.unlink()
        return len(line_rows)

    def _demo_order_vals(self, order, warehouses, partners, salesman):
        partner = partners[order.customer]
        return {
            "partner_id": partner.id,
            "partner_invoice_id": partner.id,
            "partner_shipping_id": partner.id,
            "warehouse_id": warehouses[order.warehouse].id,
            "company_id": warehouses[order.warehouse].company_id.id,
            "user_id": salesman.id,
            "date_order": _order_datetime(order),
            "state": "sale",
        }

    def _demo_line_prototypes(self, draft, products):
        """The draft order's lines, priced and described by the ORM: {product key: line id}."""
        lines = {line.product_id.id: line.id for line in draft.order_line}
        self.env["sale.order.line"].flush_model(["tax_id"])
        self.env.cr.execute(
            "SELECT COUNT(*) FROM account_tax_sale_order_line_rel WHERE sale_order_line_id = ANY(%s)",
            [list(lines.values())])
        if self.env.cr.fetchone()[0]:
            raise ValueError("Demo products must be untaxed: the cloned history does not recompute taxes.")
        return {key: lines[product.id] for key, product in products.items()}

    def _demo_clone_orders(self, orders, prototypes):
        """Copy each customer's prototype order row once per historical order: {id(order): new id}."""
        if not orders:
            return {}
        orders = sorted(orders, key=lambda o: (o.date, o.minute))
        names = self._demo_order_names(len(orders))
        dates = [_order_datetime(order) for order in orders]
        overrides = {
            "name": SQL("v.name"),
            "date_order": SQL("v.date_order"),
            "create_date": SQL("v.date_order"),
            "write_date": SQL("v.date_order"),
            "validity_date": SQL("p.validity_date - p.date_order::date + v.date_order::date"),
            "access_token": SQL("NULL"),
        }
        query = _clone_query(
            self.env.cr, "sale_order", overrides,
            SQL("unnest(%s::int[], %s::varchar[], %s::timestamp[]) AS v(proto, name, date_order)",
                [prototypes[order.customer].id for order in orders], names, dates),
            SQL("RETURNING id, name"))
        self.env.cr.execute(query)
        ids_by_name = {name: order_id for order_id, name in self.env.cr.fetchall()}
        return {id(order): ids_by_name[name] for order, name in zip(orders, names)}

    def _demo_order_names(self, count):
        """`count` order references from the sale.order sequence, in one query when it allows."""
        sequence = self.env["ir.sequence"].search(
            [("code", "=", "sale.order"), ("company_id", "in", [self.env.company.id, False])],
            order="company_id", limit=1)
        if sequence.implementation != "standard" or sequence.use_date_range:
            return [sequence.next_by_id() for _ in range(count)]
        self.env.cr.execute(
            SQL("SELECT nextval(%s) FROM generate_series(1, %s)", f"ir_sequence_{sequence.id:03d}", count))
        # What get_next_char() does for each number, with the prefix/suffix interpolated once.
        prefix, suffix = sequence._get_prefix_suffix()
        return [f"{prefix}{number:0{sequence.padding}d}{suffix}" for (number,) in self.env.cr.fetchall()]

    def _demo_clone_lines(self, rows):
        """rows: (order id, prototype line id, sequence, quantity, discount %)."""
        digits = self.env.company.currency_id.decimal_places
        subtotal = SQL("ROUND((v.qty * p.price_unit * (1 - v.discount / 100))::numeric, %s)", digits)
        overrides = {
            "order_id": SQL("v.order_id"),
            "sequence": SQL("v.sequence"),
            "product_uom_qty": SQL("v.qty"),
            "discount": SQL("v.discount"),
            "price_subtotal": subtotal,
            "price_total": subtotal,
            "price_tax": SQL("0.0"),
            # Monetary fields: the ORM rounds them to the currency, unit prices included.
            "price_reduce_taxexcl": SQL("ROUND(%s / v.qty, %s)", subtotal, digits),
            "price_reduce_taxinc": SQL("ROUND(%s / v.qty, %s)", subtotal, digits),
            "qty_to_invoice": SQL("v.qty"),
            "untaxed_amount_to_invoice": subtotal,
            "invoice_status": SQL("'to invoice'"),
            "state": SQL("o.state"),
            "company_id": SQL("o.company_id"),
            "currency_id": SQL("o.currency_id"),
            "order_partner_id": SQL("o.partner_id"),
            "salesman_id": SQL("o.user_id"),
            "warehouse_id": SQL("o.warehouse_id"),
            "create_date": SQL("o.date_order"),
            "write_date": SQL("o.date_order"),
        }
        columns = list(zip(*rows))
        self.env.cr.execute(_clone_query(
            self.env.cr, "sale_order_line", overrides,
            SQL("unnest(%s::int[], %s::int[], %s::int[], %s::numeric[], %s::numeric[])"
                " AS v(order_id, proto, sequence, qty, discount) JOIN sale_order o ON o.id = v.order_id",
                *[list(column) for column in columns]),
            SQL("")))

    def _demo_update_order_totals(self, order_ids):
        self.env.cr.execute(SQL("""
            UPDATE sale_order o
               SET amount_untaxed = t.untaxed, amount_tax = t.tax, amount_total = t.total,
                   invoice_status = 'to invoice'
              FROM (SELECT order_id, SUM(price_subtotal) AS untaxed, SUM(price_tax) AS tax,
                           SUM(price_total) AS total
                      FROM sale_order_line
                     WHERE order_id = ANY(%s)
                  GROUP BY order_id) t
             WHERE o.id = t.order_id
        """, order_ids))


def _order_datetime(order):
    return datetime.datetime.combine(order.date, datetime.time(order.minute // 60, order.minute % 60))


def _clone_query(cr, table, overrides, source, returning):
    """INSERT INTO table SELECT <prototype row p, with overrides> FROM source JOIN table p ON p.id = v.proto."""
    cr.execute("SELECT column_name FROM information_schema.columns"
               " WHERE table_schema = current_schema() AND table_name = %s AND column_name != 'id'"
               " ORDER BY ordinal_position", [table])
    columns = [name for (name,) in cr.fetchall()]
    return SQL(
        "INSERT INTO %s (%s) SELECT %s FROM %s JOIN %s p ON p.id = v.proto %s",
        SQL.identifier(table),
        SQL(", ").join(SQL.identifier(name) for name in columns),
        SQL(", ").join(overrides.get(name, SQL("p.%s", SQL.identifier(name))) for name in columns),
        source, SQL.identifier(table), returning)
