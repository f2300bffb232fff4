import { Component, useState } from "@odoo/owl";
import { deserializeDate, deserializeDateTime, formatDate, formatDateTime } from "@web/core/l10n/dates";
import { _t } from "@web/core/l10n/translation";

/**
 * Period (7/30/90/365 days or custom dates), company, warehouse and product category. Emits the
 * whole filter dict on every change; the dashboard keeps it in the URL.
 */
export class DashboardFilters extends Component {
    static template = "sales_forecast_ai.DashboardFilters";
    static props = {
        filters: Object,
        meta: Object, // get_panel_filters: companies, warehouses, categories, periods
        onChange: Function,
    };

    setup() {
        this.custom = useState({
            date_from: this.props.filters.date_from || "",
            date_to: this.props.filters.date_to || "",
        });
    }

    get periodOptions() {
        return [
            ...this.props.meta.periods.map((days) => ({ value: days, label: _t("Last %s days", days) })),
            { value: "custom", label: _t("Custom period") },
        ];
    }

    get rangeLabel() {
        const { date_from, date_to } = this.props.meta.filters;
        // An en dash rather than an arrow: it reads the same way in right-to-left languages.
        return `${formatDate(deserializeDate(date_from))} – ${formatDate(deserializeDate(date_to))}`;
    }

    get freshnessLabel() {
        const asOf = this.props.meta.data_as_of;
        return asOf ? _t("Sales as of %s", formatDateTime(deserializeDateTime(asOf))) : "";
    }

    update(changes) {
        this.props.onChange({ ...this.props.filters, ...changes });
    }

    onPeriodChange(ev) {
        const period = ev.target.value;
        if (period === "custom") {
            // Start from the dates the previous period covered, so "custom" is never empty.
            const { date_from, date_to } = this.props.meta.filters;
            Object.assign(this.custom, { date_from, date_to });
            this.update({ period, date_from, date_to });
        } else {
            this.update({ period, date_from: false, date_to: false });
        }
    }

    onDateChange(key, ev) {
        this.custom[key] = ev.target.value;
        if (this.custom.date_from && this.custom.date_to) {
            this.update({ period: "custom", ...this.custom });
        }
    }

    onCompanyChange(ev) {
        // Warehouses belong to one company: a new company starts from all of its warehouses.
        this.update({ company_id: parseInt(ev.target.value) || false, warehouse_id: false });
    }

    onSelectChange(key, ev) {
        this.update({ [key]: parseInt(ev.target.value) || false });
    }
}
