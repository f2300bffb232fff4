import { Component } from "@odoo/owl";
import { cookie } from "@web/core/browser/cookie";
import { getColor, hexToRGBA } from "@web/core/colors/colors";
import { formatFloat } from "@web/core/utils/numbers";

const { DateTime, Info } = luxon;

/**
 * Demand heatmaps drawn as plain tables (no canvas): weekday x week and product category x month.
 * A cell's shade is its share of the table's largest value, in a colour of Odoo's palette.
 */
export class DemandHeatmap extends Component {
    static template = "sales_forecast_ai.DemandHeatmap";
    static props = { data: Object };

    setup() {
        this.color = getColor(0, cookie.get("color_scheme"), "sm");
    }

    get weekdayRows() {
        const { weeks, matrix } = this.props.data.weekday;
        const names = Info.weekdays("short"); // Monday first, in the user's language
        return {
            columns: weeks.map((week) => ({ key: week, label: DateTime.fromISO(week).toFormat("dd/MM") })),
            rows: matrix.map((values, index) => ({ key: index, label: names[index], values })),
            max: Math.max(0, ...matrix.flat().filter((v) => v !== null)),
            // A year of weeks: colour only, the figure stays in the cell's tooltip.
            compact: weeks.length > 16,
        };
    }

    get categoryRows() {
        const { months, rows } = this.props.data.category;
        return {
            columns: months.map((month) => ({ key: month, label: DateTime.fromISO(month).toFormat("LLL yy") })),
            rows: rows.map((row) => ({ key: row.id || "other", label: row.name, values: row.values })),
            max: Math.max(0, ...rows.flatMap((row) => row.values)),
            compact: months.length > 16,
        };
    }

    cellStyle(value, max) {
        if (value === null || !max) {
            return "";
        }
        const ratio = value / max;
        const text = ratio > 0.55 ? "color: #fff;" : "";
        return `background-color: ${hexToRGBA(this.color, 0.08 + 0.92 * ratio)}; ${text}`;
    }

    formatCell(value) {
        return value === null ? "" : formatFloat(value, { digits: [false, 0] });
    }
}
