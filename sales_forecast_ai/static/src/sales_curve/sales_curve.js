import { Component } from "@odoo/owl";
import { _t } from "@web/core/l10n/translation";
import { ForecastChart } from "../forecast_chart/forecast_chart";

/**
 * Sold quantities per day, week or month with the latest forecast continuing them (80/95 % bands).
 * The server may pick a coarser bucket than asked for a long period; the toggle shows the one used.
 */
export class SalesCurve extends Component {
    static template = "sales_forecast_ai.SalesCurve";
    static components = { ForecastChart };
    static props = { data: Object, onGranularity: Function, onProduct: Function };

    get granularities() {
        return [
            { key: "day", label: _t("Daily") },
            { key: "week", label: _t("Weekly") },
            { key: "month", label: _t("Monthly") },
        ];
    }

    onProductChange(ev) {
        this.props.onProduct(parseInt(ev.target.value) || false);
    }
}
