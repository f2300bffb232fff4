import { Component } from "@odoo/owl";
import { deserializeDateTime, formatDateTime } from "@web/core/l10n/dates";
import { _t } from "@web/core/l10n/translation";
import { formatScore, formatUnits } from "../forecast_chart/forecast_chart_action";

const STATE_BADGES = {
    queued: "text-bg-secondary",
    running: "text-bg-info",
    done: "text-bg-success",
    failed: "text-bg-danger",
    cancelled: "text-bg-warning",
};

/** The latest done run's model comparison and the last runs' status, each run opening its form. */
export class ModelQuality extends Component {
    static template = "sales_forecast_ai.ModelQuality";
    static props = { data: Object, onOpenRun: Function };

    setup() {
        this.stateBadges = STATE_BADGES;
        this.formatScore = formatScore;
        this.formatUnits = formatUnits;
    }

    failedLabel(run) {
        return _t("%s failed series", run.series_failed);
    }

    formatDateTime(value) {
        return value ? formatDateTime(deserializeDateTime(value)) : "–";
    }
}
