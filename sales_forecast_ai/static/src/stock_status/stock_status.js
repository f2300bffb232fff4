import { Component } from "@odoo/owl";
import { _t } from "@web/core/l10n/translation";
import { formatFloat } from "@web/core/utils/numbers";

const STATUSES = [
    { key: "out", label: _t("Out of stock"), bar: "bg-danger" },
    { key: "low", label: _t("Low"), bar: "bg-warning" },
    { key: "adequate", label: _t("Adequate"), bar: "bg-success" },
    { key: "over", label: _t("Overstock"), bar: "bg-info" },
];

/** Forecast series per stock status (a stacked bar), the most urgent listed; a status opens its products. */
export class StockStatus extends Component {
    static template = "sales_forecast_ai.StockStatus";
    static props = { data: Object, onOpen: Function };

    get statuses() {
        const counts = this.props.data.counts;
        const total = Object.values(counts).reduce((a, b) => a + b, 0) || 1;
        return STATUSES.map((status) => ({ ...status, count: counts[status.key], share: (counts[status.key] / total) * 100 }));
    }

    get ruleLabel() {
        return _t(
            "Low: less than %(low)s days of cover (the vendor lead time). Overstock: more than %(over)s days.",
            { low: this.props.data.low_days, over: this.props.data.over_days }
        );
    }

    statusLabel(key) {
        return STATUSES.find((status) => status.key === key).label;
    }

    formatQty(value) {
        return formatFloat(value || 0, { digits: [false, 1], trailingZeros: false });
    }

    formatCover(value) {
        return value === null ? "–" : _t("%s days", formatFloat(value, { digits: [false, 0] }));
    }

    open(status) {
        this.props.onOpen({
            type: "ir.actions.act_window",
            name: status.label,
            res_model: "product.product",
            views: [[false, "list"], [false, "form"]],
            domain: [["id", "in", this.props.data.product_ids[status.key]]],
            target: "current",
        });
    }
}
