import { Component, onWillStart, onWillUnmount, useEffect, useRef } from "@odoo/owl";
import { loadBundle } from "@web/core/assets";
import { cookie } from "@web/core/browser/cookie";
import { getColor, getCustomColor } from "@web/core/colors/colors";
import { localization } from "@web/core/l10n/localization";

/**
 * A Chart.js bar chart of labelled series, coloured from Odoo's palette; destroyed and redrawn when
 * its data changes and destroyed on unmount. ``datasets``: [{label, data}].
 */
export class BarChart extends Component {
    static template = "sales_forecast_ai.BarChart";
    static props = {
        labels: Array,
        datasets: Array,
        height: { type: Number, optional: true },
        stacked: { type: Boolean, optional: true },
        xTitle: { type: String, optional: true },
        yTitle: { type: String, optional: true },
        tooltipTitles: { type: Array, optional: true }, // one per label, e.g. a histogram bin's range
    };
    static defaultProps = { height: 260, stacked: false, xTitle: "", yTitle: "" };

    setup() {
        this.canvasRef = useRef("canvas");
        this.chart = null;
        onWillStart(() => loadBundle("web.chartjs_lib"));
        useEffect(
            () => this.renderChart(),
            () => [this.props.labels, this.props.datasets]
        );
        onWillUnmount(() => this.chart?.destroy());
    }

    renderChart() {
        this.chart?.destroy();
        const scheme = cookie.get("color_scheme");
        const labelColor = getCustomColor(scheme, "#111827", "#E4E4E4");
        const gridColor = getCustomColor(scheme, "#d8dadd", "#3C3E4B");
        const axis = (title, stacked) => ({
            stacked,
            grid: { color: gridColor },
            ticks: { color: labelColor },
            title: { display: Boolean(title), text: title, color: labelColor },
        });
        this.chart = new Chart(this.canvasRef.el, {
            type: "bar",
            data: {
                labels: this.props.labels,
                datasets: this.props.datasets.map((dataset, index) => ({
                    ...dataset,
                    backgroundColor: getColor(index, scheme, "sm"),
                    borderWidth: 0,
                })),
            },
            options: {
                responsive: true,
                maintainAspectRatio: false,
                animation: false,
                // Axes keep their left-to-right order in right-to-left languages, as Odoo's graph
                // view does; legend and tooltips follow the page's direction.
                scales: {
                    x: axis(this.props.xTitle, this.props.stacked),
                    y: { ...axis(this.props.yTitle, this.props.stacked), beginAtZero: true },
                },
                plugins: {
                    legend: { display: this.props.datasets.length > 1, position: "bottom", rtl: localization.direction === "rtl",
                              labels: { color: labelColor, boxWidth: 12 } },
                    tooltip: {
                        rtl: localization.direction === "rtl",
                        callbacks: this.props.tooltipTitles
                            ? { title: (items) => this.props.tooltipTitles[items[0].dataIndex] }
                            : {},
                    },
                },
            },
        });
        this.canvasRef.el.dataset.points = String(this.props.labels.length);
    }
}
