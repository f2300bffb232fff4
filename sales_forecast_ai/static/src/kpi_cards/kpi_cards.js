import { Component } from "@odoo/owl";
import { _t } from "@web/core/l10n/translation";
import { deserializeDate, formatDate } from "@web/core/l10n/dates";
import { formatFloat } from "@web/core/utils/numbers";

const TRENDS = {
    up: { icon: "fa-arrow-up", label: _t("Up") },
    down: { icon: "fa-arrow-down", label: _t("Down") },
    flat: { icon: "fa-arrows-h", label: _t("Stable") },
};

export function formatNumber(value, digits = 0) {
    if (value === false || value === null || value === undefined) {
        return "–";
    }
    if (typeof value === "string") {
        // a date KPI (last training): shown in the user's date format
        const date = deserializeDate(value);
        return date.isValid ? formatDate(date) : value;
    }
    return formatFloat(value, { digits: [false, digits] });
}

/** One card per KPI: value, previous period, trend arrow; a card with an action opens its records. */
export class KpiCards extends Component {
    static template = "sales_forecast_ai.KpiCards";
    static props = { kpis: Array, onOpen: Function };

    setup() {
        this.formatNumber = formatNumber;
    }

    trend(kpi) {
        return TRENDS[kpi.trend] || TRENDS.flat;
    }

    formatValue(kpi) {
        // Sums of float quantities carry rounding noise; a decimal only helps on small figures.
        const large = typeof kpi.value !== "number" || Number.isInteger(kpi.value) || Math.abs(kpi.value) >= 100;
        const value = formatNumber(kpi.value, large ? 0 : 1);
        if (kpi.value === false) {
            return value;
        }
        return kpi.unit ? `${value} ${kpi.unit}` : value;
    }

    changeLabel(kpi) {
        if (kpi.change === null || kpi.change === undefined || kpi.change === false) {
            return "";
        }
        if (kpi.trend === "flat") {
            return "≈";
        }
        const sign = kpi.change > 0 ? "+" : "";
        return `${sign}${formatFloat(kpi.change * 100, { digits: [false, 0] })} %`;
    }

    onClick(kpi) {
        if (kpi.action) {
            this.props.onOpen(kpi.action);
        }
    }
}
