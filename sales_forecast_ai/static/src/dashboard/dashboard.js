import { Component, onMounted, onWillStart, onWillUnmount, useState } from "@odoo/owl";
import { browser } from "@web/core/browser/browser";
import { _t } from "@web/core/l10n/translation";
import { deserializeDateTime, formatDateTime, formatDuration } from "@web/core/l10n/dates";
import { registry } from "@web/core/registry";
import { formatFloat } from "@web/core/utils/numbers";
import { useService } from "@web/core/utils/hooks";
import { Layout } from "@web/search/layout";
import { standardActionServiceProps } from "@web/webclient/actions/action_service";
import { ForecastChart } from "../forecast_chart/forecast_chart";
import {
    TREND_ICONS,
    TREND_LABELS,
    formatConfidence,
    formatScore,
    formatUnits,
} from "../forecast_chart/forecast_chart_action";

// While a run is queued or running the dashboard refreshes itself so its progress is visible.
const POLL_DELAY_MS = 10000;

const STATE_BADGES = {
    queued: "text-bg-secondary",
    running: "text-bg-info",
    done: "text-bg-success",
    failed: "text-bg-danger",
    cancelled: "text-bg-warning",
};

export class SalesForecastDashboard extends Component {
    static template = "sales_forecast_ai.Dashboard";
    static components = { Layout, ForecastChart };
    static props = { ...standardActionServiceProps };

    setup() {
        this.orm = useService("orm");
        this.action = useService("action");
        this.notification = useService("notification");
        this.display = { controlPanel: {} };
        this.state = useState({
            overview: null,
            chartKey: false,
            chartData: null,
            launching: false,
        });
        this.trendLabels = TREND_LABELS;
        this.trendIcons = TREND_ICONS;
        this.stateBadges = STATE_BADGES;
        this.formatUnits = formatUnits;
        this.formatConfidence = formatConfidence;
        this.formatScore = formatScore;
        onWillStart(() => this.load());
        onMounted(() => this.schedulePoll());
        onWillUnmount(() => browser.clearTimeout(this.pollTimer));
    }

    async load() {
        const overview = await this.orm.call("sales.forecast.dashboard", "get_overview", []);
        this.state.overview = overview;
        const top = overview.top_products;
        const stillListed = top.some((row) => this.rowKey(row) === this.state.chartKey);
        if (top.length && !stillListed) {
            await this.selectChartProduct(this.rowKey(top[0]));
        } else if (!top.length) {
            Object.assign(this.state, { chartKey: false, chartData: null });
        }
    }

    schedulePoll() {
        browser.clearTimeout(this.pollTimer);
        if (this.state.overview?.active_run) {
            this.pollTimer = browser.setTimeout(async () => {
                await this.load();
                this.schedulePoll();
            }, POLL_DELAY_MS);
        }
    }

    rowKey(row) {
        return `${row.product_id}-${row.warehouse_id || 0}`;
    }

    async selectChartProduct(key) {
        const row = this.state.overview.top_products.find((r) => this.rowKey(r) === key);
        if (!row) {
            return;
        }
        const chartData = await this.orm.call("sales.forecast.dashboard", "get_chart_data", [
            row.product_id,
            row.warehouse_id || false,
        ]);
        Object.assign(this.state, { chartKey: key, chartData });
    }

    onChartProductChange(ev) {
        return this.selectChartProduct(ev.target.value);
    }

    openProductChart(row) {
        return this.action.doAction({
            type: "ir.actions.client",
            tag: "sales_forecast_ai.forecast_chart",
            name: row.product_name,
            params: { product_id: row.product_id, warehouse_id: row.warehouse_id || false },
        });
    }

    openRun(runId) {
        return this.action.doAction({
            type: "ir.actions.act_window",
            res_model: "sales.forecast.run",
            res_id: runId,
            views: [[false, "form"]],
        });
    }

    async onRunNow() {
        this.state.launching = true;
        try {
            // The run model answers with its form; the dashboard stays and shows the progress,
            // the form is one click away in the notification.
            const runAction = await this.orm.call("sales.forecast.run", "action_run_now", []);
            const buttons = runAction?.type
                ? [{ name: _t("View run"), onClick: () => this.action.doAction(runAction) }]
                : [];
            this.notification.add(_t("The forecast run has been queued."), { type: "success", buttons });
            await this.load();
            this.schedulePoll();
        } finally {
            this.state.launching = false;
        }
    }

    onRefresh() {
        return this.load();
    }

    // Formatting helpers used by the template.

    formatDateTime(value) {
        return value ? formatDateTime(deserializeDateTime(value)) : "";
    }

    formatDuration(seconds) {
        if (!seconds) {
            return "–";
        }
        // Runs last seconds to minutes; "1m" alone would hide half of a 97 s run.
        if (seconds < 60) {
            return `${Math.round(seconds)}s`;
        }
        if (seconds < 3600) {
            return `${Math.floor(seconds / 60)}m ${Math.round(seconds % 60)}s`;
        }
        return formatDuration(seconds, false);
    }

    formatShare(share) {
        return `${formatFloat(share * 100, { digits: [false, 0] })} %`;
    }

    get kpiCards() {
        const kpis = this.state.overview.kpis;
        const units = _t("units forecast");
        return [
            {
                key: "products",
                label: _t("Products forecast"),
                value: formatUnits(kpis.products),
                hint: _t("%s series", kpis.series),
            },
            { key: "total_7", label: _t("Next 7 days"), value: formatUnits(kpis.total_7), hint: units },
            { key: "total_30", label: _t("Next 30 days"), value: formatUnits(kpis.total_30), hint: units },
            { key: "total_90", label: _t("Next 90 days"), value: formatUnits(kpis.total_90), hint: units },
        ];
    }

    get shareGroups() {
        const shares = this.state.overview.shares;
        return [
            { key: "demand_class", title: _t("Demand class"), rows: shares.demand_class },
            { key: "trend", title: _t("Trend"), rows: shares.trend },
            { key: "champion", title: _t("Winning model"), rows: shares.champion },
        ];
    }
}

registry.category("actions").add("sales_forecast_ai.dashboard", SalesForecastDashboard);
