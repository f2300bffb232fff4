import { Component } from "@odoo/owl";

/**
 * The frame of every dashboard panel: title, and one of four states so the page is never blank —
 * loading (spinner over the last data, if any), error (the server's message), unavailable (why,
 * e.g. a feature not installed yet) or empty (what to do), else the panel's own content.
 */
export class DashboardPanel extends Component {
    static template = "sales_forecast_ai.DashboardPanel";
    static props = {
        title: String,
        name: String,
        panel: Object, // { status: "loading" | "ready" | "error", data, error }
        emptyText: { type: String, optional: true },
        isEmpty: { type: Boolean, optional: true },
        slots: { type: Object, optional: true },
        class: { type: String, optional: true },
    };
    static defaultProps = { emptyText: "", isEmpty: false, class: "" };

    get data() {
        return this.props.panel.data;
    }

    get mode() {
        const { status } = this.props.panel;
        if (status === "error") {
            return "error";
        }
        if (!this.data) {
            return "loading";
        }
        if (!this.data.available) {
            return "unavailable";
        }
        return this.props.isEmpty || this.data.empty ? "empty" : "content";
    }
}
