import { Component, useState } from "@odoo/owl";
import { formatFloat } from "@web/core/utils/numbers";

/** Best sellers of the period, by quantity or by revenue; a product opens its forecast chart. */
export class TopProducts extends Component {
    static template = "sales_forecast_ai.TopProducts";
    static props = { data: Object, onOpenProduct: Function };

    setup() {
        this.state = useState({ by: "qty" });
    }

    get rows() {
        if (this.state.by === "revenue") {
            return this.props.data.by_revenue.available ? this.props.data.by_revenue.items : [];
        }
        return this.props.data.by_qty;
    }

    get max() {
        return Math.max(1, ...this.rows.map((row) => row.value));
    }

    formatValue(row) {
        if (this.state.by === "revenue") {
            const currency = this.props.data.by_revenue.currency;
            const amount = formatFloat(row.value, { digits: [false, 0] });
            return currency.position === "before" ? `${currency.symbol} ${amount}` : `${amount} ${currency.symbol}`;
        }
        return `${formatFloat(row.value, { digits: [false, 0] })} ${row.uom || ""}`;
    }
}
