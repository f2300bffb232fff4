import { Component, onWillStart, useState } from "@odoo/owl";
import { _t } from "@web/core/l10n/translation";
import { registry } from "@web/core/registry";
import { formatFloat } from "@web/core/utils/numbers";
import { useService } from "@web/core/utils/hooks";
import { Layout } from "@web/search/layout";
import { standardActionServiceProps } from "@web/webclient/actions/action_service";
import { ForecastChart } from "./forecast_chart";

export const TREND_LABELS = {
    UP: _t("Rising"),
    DOWN: _t("Falling"),
    STABLE: _t("Stable"),
};
export const TREND_ICONS = {
    UP: "fa-arrow-up text-success",
    DOWN: "fa-arrow-down text-danger",
    STABLE: "fa-arrow-right text-muted",
};

export function formatUnits(value) {
    return formatFloat(value || 0, { digits: [false, 0] });
}

export function formatScore(value, digits = 2) {
    if (value === false || value === null || value === undefined) {
        return "–";
    }
    return formatFloat(value, { digits: [false, digits] });
}

export function formatConfidence(value) {
    if (value === false || value === null || value === undefined) {
        return "–";
    }
    // Stored in percent (0-100) like every score shown to users: shown as stored, never rescaled.
    return `${formatFloat(value, { digits: [false, 0] })} %`;
}

/**
 * One product's history and forecast, opened from the dashboard or the product's "Forecast" smart
 * button. The product and warehouse are kept in the URL so a reload shows the same chart.
 */
export class ForecastChartAction extends Component {
    static template = "sales_forecast_ai.ForecastChartAction";
    static components = { Layout, ForecastChart };
    static props = { ...standardActionServiceProps };
    // Same path as the ir.actions.client record, so /odoo/sales-forecast-chart?product_id=…
    // reloads without a server round-trip even when opened from an inline action dict.
    static path = "sales-forecast-chart";

    setup() {
        this.orm = useService("orm");
        this.state = useState({ data: null, productId: false, warehouseId: false });
        this.display = { controlPanel: {} };
        this.trendLabels = TREND_LABELS;
        this.trendIcons = TREND_ICONS;
        this.formatUnits = formatUnits;
        this.formatConfidence = formatConfidence;
        this.formatScore = formatScore;
        onWillStart(async () => {
            const { productId, warehouseId } = await this.resolveTarget();
            await this.load(productId, warehouseId);
        });
    }

    /** The product comes from action params (URL, dashboard) or the record that opened us. */
    async resolveTarget() {
        const params = this.props.action.params || {};
        const context = this.props.action.context || {};
        let productId = params.product_id || context.default_product_id || false;
        if (!productId && context.active_id) {
            if (context.active_model === "product.template") {
                const variants = await this.orm.search(
                    "product.product",
                    [["product_tmpl_id", "=", context.active_id]],
                    { limit: 1 }
                );
                productId = variants[0] || false;
            } else if (context.active_model === "product.product") {
                productId = context.active_id;
            }
        }
        const warehouseId = params.warehouse_id || context.default_warehouse_id || false;
        return { productId, warehouseId };
    }

    async load(productId, warehouseId) {
        if (!productId) {
            this.state.data = null;
            return;
        }
        const data = await this.orm.call("sales.forecast.dashboard", "get_chart_data", [
            productId,
            warehouseId || false,
        ]);
        Object.assign(this.state, { data, productId, warehouseId: data.warehouse_id });
        this.env.config.setDisplayName(data.product.name);
        this.props.updateActionState?.({
            product_id: productId,
            warehouse_id: data.warehouse_id || undefined,
        });
    }

    async onWarehouseChange(ev) {
        await this.load(this.state.productId, parseInt(ev.target.value) || false);
    }

    get facts() {
        const result = this.state.data?.result;
        if (!result) {
            return [];
        }
        return [
            { key: "total_7", label: _t("Next 7 days"), value: formatUnits(result.total_7) },
            { key: "total_30", label: _t("Next 30 days"), value: formatUnits(result.total_30) },
            { key: "total_90", label: _t("Next 90 days"), value: formatUnits(result.total_90) },
            { key: "confidence", label: _t("Confidence"), value: formatConfidence(result.confidence) },
        ];
    }
}

registry.category("actions").add("sales_forecast_ai.forecast_chart", ForecastChartAction);
