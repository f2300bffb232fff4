import { Component } from "@odoo/owl";
import { cookie } from "@web/core/browser/cookie";
import { getColor } from "@web/core/colors/colors";
import { _t } from "@web/core/l10n/translation";
import { formatFloat } from "@web/core/utils/numbers";
import { BarChart } from "../bar_chart/bar_chart";

function fmt(value) {
    return formatFloat(value, { digits: [false, 1], trailingZeros: false });
}

/**
 * How daily sales spread, per product category: a histogram (days per quantity bin, bins shared
 * by the categories) and a box plot (quartiles, 1.5 IQR whiskers, outlier days) drawn in HTML.
 */
export class DemandDistribution extends Component {
    static template = "sales_forecast_ai.DemandDistribution";
    static components = { BarChart };
    static props = { data: Object };

    setup() {
        this.scheme = cookie.get("color_scheme");
    }

    get labels() {
        // Bin starts only: "0–26.8" labels would overlap on a tablet; the tooltip gives the range.
        const edges = this.props.data.edges;
        const digits = edges.at(-1) >= 20 ? 0 : 1;
        return edges.slice(0, -1).map((edge) => formatFloat(edge, { digits: [false, digits] }));
    }

    get ranges() {
        const edges = this.props.data.edges;
        return edges.slice(0, -1).map((edge, i) => `${fmt(edge)} – ${fmt(edges[i + 1])}`);
    }

    get datasets() {
        return this.props.data.groups.map((group) => ({ label: group.name, data: group.counts }));
    }

    get scaleMax() {
        return Math.max(1, ...this.props.data.groups.map((group) => group.box?.max || 0));
    }

    color(index) {
        return getColor(index, this.scheme, "sm");
    }

    /** Percent offsets on a 0..max axis, as inline-start/width so the plot mirrors in RTL. */
    boxStyle(box, from, to) {
        const max = this.scaleMax;
        const start = (box[from] / max) * 100;
        const width = Math.max(((box[to] - box[from]) / max) * 100, 0.5);
        return `inset-inline-start: ${start}%; width: ${width}%;`;
    }

    markStyle(box, key) {
        return `inset-inline-start: ${(box[key] / this.scaleMax) * 100}%;`;
    }

    boxTitle(group) {
        const box = group.box;
        return _t(
            "%(name)s — median %(median)s, quartiles %(q1)s–%(q3)s, mean %(mean)s, %(outliers)s outlier days of %(days)s",
            {
                name: group.name,
                median: fmt(box.median),
                q1: fmt(box.q1),
                q3: fmt(box.q3),
                mean: fmt(box.mean),
                outliers: box.outliers,
                days: box.days,
            }
        );
    }

    formatMax() {
        return fmt(this.scaleMax);
    }
}
