import { Component } from "@odoo/owl";
import { _t } from "@web/core/l10n/translation";
import { deserializeDate, formatDate } from "@web/core/l10n/dates";
import { formatFloat } from "@web/core/utils/numbers";
import { BarChart } from "../bar_chart/bar_chart";

const VISIBLE_ITEMS = 8;

/** Spikes and drops per day (stacked bars) and the latest anomalies, each opening the full list. */
export class AnomalyTimeline extends Component {
    static template = "sales_forecast_ai.AnomalyTimeline";
    static components = { BarChart };
    static props = { data: Object, onOpen: Function };

    get labels() {
        return this.props.data.days.map((day) => formatDate(deserializeDate(day.date)));
    }

    get datasets() {
        const days = this.props.data.days;
        return [
            { label: _t("Spikes"), data: days.map((day) => day.spike) },
            { label: _t("Drops"), data: days.map((day) => day.drop) },
        ];
    }

    get allLabel() {
        return _t("All %s anomalies", this.props.data.total);
    }

    get items() {
        return this.props.data.items.slice(0, VISIBLE_ITEMS);
    }

    formatDate(value) {
        return formatDate(deserializeDate(value));
    }

    formatQty(value) {
        return formatFloat(value || 0, { digits: [false, 1], trailingZeros: false });
    }

    openAll() {
        this.props.onOpen({
            type: "ir.actions.act_window",
            name: _t("Anomalies"),
            res_model: this.props.data.model,
            views: [[false, "list"], [false, "form"]],
            domain: this.props.data.domain,
            target: "current",
        });
    }
}
