import { Component, onMounted, onWillStart, onWillUnmount, useState } from "@odoo/owl";
import { browser } from "@web/core/browser/browser";
import { _t } from "@web/core/l10n/translation";
import { registry } from "@web/core/registry";
import { KeepLast } from "@web/core/utils/concurrency";
import { useService } from "@web/core/utils/hooks";
import { useSetupAction } from "@web/search/action_hook";
import { Layout } from "@web/search/layout";
import { standardActionServiceProps } from "@web/webclient/actions/action_service";
import { AbcXyzMatrix } from "../abc_xyz_matrix/abc_xyz_matrix";
import { AnomalyTimeline } from "../anomaly_timeline/anomaly_timeline";
import { ChatWidget } from "@sales_forecast_ai/chat_widget/chat_widget";
import { DashboardFilters } from "../dashboard_filters/dashboard_filters";
import { DashboardPanel } from "../dashboard_panel/dashboard_panel";
import { DemandDistribution } from "../demand_distribution/demand_distribution";
import { DemandHeatmap } from "../demand_heatmap/demand_heatmap";
import { KpiCards } from "../kpi_cards/kpi_cards";
import { ModelQuality } from "../model_quality/model_quality";
import { SalesCurve } from "../sales_curve/sales_curve";
import { StockStatus } from "../stock_status/stock_status";
import { SuggestionPanel } from "../suggestion_panel/suggestion_panel";
import { TopProducts } from "../top_products/top_products";

const MODEL = "sales.forecast.dashboard";
// While a run is queued or running the dashboard refreshes itself so its progress is visible.
const POLL_DELAY_MS = 10000;
export const PANELS = [
    "kpis",
    "sales_curve",
    "heatmaps",
    "distribution",
    "abc_xyz",
    "anomalies",
    "top_products",
    "stock_status",
    "suggestions",
    "model_quality",
];
const FILTER_KEYS = ["period", "date_from", "date_to", "company_id", "warehouse_id", "categ_id"];

function readFilters(action) {
    // The URL (params) wins over the action's context, so a reload or a shared link shows the same view.
    const source = { ...(action.context || {}), ...(action.params || {}) };
    const filters = { period: "30" };
    for (const key of FILTER_KEYS) {
        const value = source[key] ?? source[`sfai_${key}`];
        if (value !== undefined && value !== null && value !== "" && value !== false) {
            filters[key] = key.endsWith("_id") ? parseInt(value) || false : String(value);
        }
    }
    return filters;
}

/**
 * The manager's screen: a filter bar, then one panel per question (sales, forecast, heatmaps,
 * distribution, ABC/XYZ, anomalies, top products, stock, suggestions, model quality). Each panel
 * loads on its own (one server method each), so a slow or failing one never blanks the others;
 * KeepLast drops answers to filters that have changed since.
 */
export class SalesForecastDashboard extends Component {
    static template = "sales_forecast_ai.Dashboard";
    static components = {
        Layout,
        DashboardFilters,
        DashboardPanel,
        KpiCards,
        SalesCurve,
        DemandHeatmap,
        DemandDistribution,
        AbcXyzMatrix,
        AnomalyTimeline,
        TopProducts,
        StockStatus,
        SuggestionPanel,
        ModelQuality,
        ChatWidget,
    };
    static props = { ...standardActionServiceProps };
    // Same path as the ir.actions.client record: /odoo/sales-forecast?period=90&warehouse_id=2
    // rebuilds the dashboard with those filters.
    static path = "sales-forecast";

    setup() {
        this.orm = useService("orm");
        this.action = useService("action");
        this.notification = useService("notification");
        this.display = { controlPanel: {} };
        this.state = useState({
            // Back from a drill-down (breadcrumb), the filters and curve options are restored.
            filters: this.props.state?.sfaiFilters || readFilters(this.props.action),
            meta: { status: "loading", data: null, error: "" },
            panels: Object.fromEntries(PANELS.map((name) => [name, { status: "loading", data: null, error: "" }])),
            curve: this.props.state?.sfaiCurve || { granularity: "day", productId: false },
            launching: false,
            chatOpen: false,
        });
        useSetupAction({
            getLocalState: () => ({ sfaiFilters: this.state.filters, sfaiCurve: this.state.curve }),
        });
        this.keepLast = Object.fromEntries(["meta", ...PANELS].map((name) => [name, new KeepLast()]));
        // Opened from the URL the action has no name of its own: the breadcrumb needs one.
        this.env.config.setDisplayName?.(_t("Forecast Dashboard"));
        onWillStart(() => this.loadMeta());
        onMounted(() => {
            this.loadPanels();
            this.schedulePoll();
        });
        onWillUnmount(() => browser.clearTimeout(this.pollTimer));
    }

    // -- loading ---------------------------------------------------------------------------------

    async call(keepLast, method, args, kwargs = {}) {
        return this.keepLast[keepLast].add(this.orm.call(MODEL, method, args, kwargs));
    }

    errorMessage(error) {
        return error?.data?.message || error?.message || String(error);
    }

    async loadMeta() {
        const meta = this.state.meta;
        meta.status = "loading";
        try {
            meta.data = await this.call("meta", "get_panel_filters", [this.state.filters]);
            meta.status = "ready";
            // What the server understood (defaults filled in) goes to the URL.
            this.props.updateActionState?.(this.urlState(meta.data.filters));
        } catch (error) {
            Object.assign(meta, { status: "error", error: this.errorMessage(error) });
        }
    }

    urlState(filters) {
        const state = {};
        for (const key of FILTER_KEYS) {
            state[key] = filters[key] || undefined;
        }
        if (filters.period !== "custom") {
            state.date_from = state.date_to = undefined;
        }
        return state;
    }

    loadPanels() {
        return Promise.all(PANELS.map((name) => this.loadPanel(name)));
    }

    async loadPanel(name) {
        const panel = this.state.panels[name];
        panel.status = "loading";
        const kwargs =
            name === "sales_curve"
                ? { granularity: this.state.curve.granularity, product_id: this.state.curve.productId }
                : {};
        try {
            panel.data = await this.call(name, `get_panel_${name}`, [this.state.filters], kwargs);
            panel.status = "ready";
        } catch (error) {
            Object.assign(panel, { status: "error", error: this.errorMessage(error) });
        }
    }

    async onFiltersChange(filters) {
        this.state.filters = filters;
        await this.loadMeta();
        if (this.state.meta.status === "ready") {
            this.state.filters = { ...filters, ...this.state.meta.data.filters };
            await this.loadPanels();
        }
    }

    async onRefresh() {
        if (this.state.meta.data?.is_manager) {
            // Managers rebuild the stored daily sales first, so today's orders show at once.
            try {
                await this.orm.call(MODEL, "action_refresh_data", [this.state.filters]);
            } catch (error) {
                this.notification.add(this.errorMessage(error), { type: "danger" });
            }
        }
        return this.onFiltersChange(this.state.filters);
    }

    schedulePoll() {
        browser.clearTimeout(this.pollTimer);
        if (this.state.meta.data?.active_run) {
            this.pollTimer = browser.setTimeout(async () => {
                await this.loadMeta();
                await this.loadPanel("model_quality");
                this.schedulePoll();
            }, POLL_DELAY_MS);
        }
    }

    // -- sales curve -----------------------------------------------------------------------------

    onGranularity(granularity) {
        this.state.curve.granularity = granularity;
        return this.loadPanel("sales_curve");
    }

    onCurveProduct(productId) {
        this.state.curve.productId = productId;
        return this.loadPanel("sales_curve");
    }

    // -- navigation ------------------------------------------------------------------------------

    openAction(action) {
        return this.action.doAction(action);
    }

    toggleChat() {
        // Collapsed by default: the assistant loads its conversation only when asked for.
        this.state.chatOpen = !this.state.chatOpen;
    }

    openProductChart(productId, name) {
        return this.action.doAction({
            type: "ir.actions.client",
            tag: "sales_forecast_ai.forecast_chart",
            name,
            params: { product_id: productId, warehouse_id: this.state.filters.warehouse_id || false },
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

    openImport() {
        return this.action.doAction("sales_forecast_ai.action_sales_history_import");
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
            await this.loadMeta();
            await this.loadPanel("model_quality");
            this.schedulePoll();
        } finally {
            this.state.launching = false;
        }
    }

    // -- template helpers ------------------------------------------------------------------------

    get noSales() {
        const curve = this.state.panels.sales_curve.data;
        return Boolean(curve?.available && !curve.history.some((point) => point.qty));
    }

    get noRun() {
        const quality = this.state.panels.model_quality.data;
        return Boolean(quality?.available && !quality.recent_runs.length);
    }

    get titles() {
        return {
            kpis: _t("Key figures"),
            sales_curve: _t("Sales and forecast"),
            heatmaps: _t("When demand happens"),
            distribution: _t("Daily sales distribution per category"),
            abc_xyz: _t("ABC/XYZ matrix"),
            anomalies: _t("Anomalies"),
            top_products: _t("Top products"),
            stock_status: _t("Stock status"),
            suggestions: _t("Purchase suggestions"),
            model_quality: _t("Model quality"),
        };
    }

    get emptyTexts() {
        return {
            kpis: _t("No figures for this period."),
            sales_curve: _t("No sales in this period: import your sales history or widen the period."),
            heatmaps: _t("No sales in this period to spread over weekdays and months."),
            distribution: _t("No sales in this period: import your sales history or pick another period."),
            abc_xyz: _t("No product is segmented yet: segments are computed by the forecast run."),
            anomalies: _t("No anomaly in this period."),
            top_products: _t("Nothing sold in this period."),
            stock_status: _t("No forecast yet, so no stock cover to judge: run a forecast first."),
            suggestions: _t("No purchase suggestion for these filters."),
            model_quality: _t("No forecast run yet."),
        };
    }
}

registry.category("actions").add("sales_forecast_ai.dashboard", SalesForecastDashboard);
