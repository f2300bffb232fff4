import { Component } from "@odoo/owl";
import { _t } from "@web/core/l10n/translation";
import { deserializeDate, formatDate } from "@web/core/l10n/dates";
import { formatFloat } from "@web/core/utils/numbers";

const URGENCY_CLASSES = { order_now: "text-bg-danger", watch: "text-bg-warning", ok: "text-bg-success" };

/** Purchase suggestions per urgency; a badge or "all" opens the suggestion list filtered. */
export class SuggestionPanel extends Component {
    static template = "sales_forecast_ai.SuggestionPanel";
    static props = { data: Object, onOpen: Function };

    setup() {
        this.urgencyClasses = URGENCY_CLASSES;
    }

    formatDate(value) {
        return value ? formatDate(deserializeDate(value)) : "–";
    }

    formatQty(value) {
        return formatFloat(value || 0, { digits: [false, 0] });
    }

    open(urgency = false, label = false) {
        const { model, domain } = this.props.data;
        this.props.onOpen({
            type: "ir.actions.act_window",
            name: label || _t("Purchase suggestions"),
            res_model: model,
            views: [[false, "list"], [false, "form"]],
            domain: urgency ? [...domain, ["urgency", "=", urgency]] : domain,
            target: "current",
        });
    }
}
