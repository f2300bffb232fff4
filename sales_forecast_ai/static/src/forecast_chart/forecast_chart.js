import { Component, onWillStart, onWillUnmount, useEffect, useRef } from "@odoo/owl";
import { loadBundle } from "@web/core/assets";
import { cookie } from "@web/core/browser/cookie";
import { getColor, getCustomColor, hexToRGBA } from "@web/core/colors/colors";
import { _t } from "@web/core/l10n/translation";
import { formatFloat } from "@web/core/utils/numbers";

const { DateTime } = luxon;

function toMillis(isoDate) {
    return DateTime.fromISO(isoDate).toMillis();
}

function formatQty(value) {
    return formatFloat(value, { digits: [false, 1], trailingZeros: false });
}

/**
 * Draws a dashed vertical line where history ends and the forecast starts, so the reader never
 * mistakes a predicted value for a recorded one.
 */
const todayLinePlugin = {
    id: "sfaiTodayLine",
    afterDatasetsDraw(chart, args, options) {
        if (!options.value) {
            return;
        }
        const x = chart.scales.x.getPixelForValue(options.value);
        const { top, bottom, left, right } = chart.chartArea;
        if (x < left || x > right) {
            return;
        }
        const ctx = chart.ctx;
        ctx.save();
        ctx.strokeStyle = options.color;
        ctx.lineWidth = 1;
        ctx.setLineDash([4, 4]);
        ctx.beginPath();
        ctx.moveTo(x, top);
        ctx.lineTo(x, bottom);
        ctx.stroke();
        ctx.setLineDash([]);
        ctx.fillStyle = options.color;
        ctx.font = "12px sans-serif";
        ctx.textAlign = "right";
        ctx.fillText(options.label, x - 4, top + 12);
        ctx.restore();
    },
};

/**
 * History line, forecast line, shaded 80 % and 95 % intervals and a "today" marker.
 *
 * Every dataset is aligned on one daily date axis (null where a series has no value), so the
 * tooltip of a day lists exactly that day's recorded, forecast and interval values.
 */
export class ForecastChart extends Component {
    static template = "sales_forecast_ai.ForecastChart";
    static props = {
        history: { type: Array },
        forecast: { type: Array },
        today: { type: [String, Boolean], optional: true },
        uom: { type: String, optional: true },
        height: { type: Number, optional: true },
    };
    static defaultProps = { today: false, uom: "", height: 340 };

    setup() {
        this.canvasRef = useRef("canvas");
        this.chart = null;
        onWillStart(() => loadBundle("web.chartjs_lib"));
        useEffect(
            () => this.renderChart(),
            () => [this.props.history, this.props.forecast, this.props.today]
        );
        onWillUnmount(() => this.chart?.destroy());
    }

    get isEmpty() {
        return !this.props.history.length && !this.props.forecast.length;
    }

    renderChart() {
        this.chart?.destroy();
        this.chart = null;
        if (this.isEmpty) {
            return;
        }
        const canvas = this.canvasRef.el;
        this.chart = new Chart(canvas, this.getChartConfig());
        // Lets tours and tests know the chart drew real points rather than an empty canvas, and which.
        canvas.dataset.points = String(this.props.history.length + this.props.forecast.length);
        canvas.dataset.historyPoints = String(this.props.history.length);
        canvas.dataset.forecastPoints = String(this.props.forecast.length);
    }

    buildSeries() {
        const byDate = new Map();
        const row = (date) => {
            if (!byDate.has(date)) {
                byDate.set(date, {});
            }
            return byDate.get(date);
        };
        if (this.props.today) {
            // Keeps the "today" marker on the axis even when the product has no history.
            row(this.props.today);
        }
        for (const point of this.props.history) {
            row(point.date).history = point.qty;
        }
        for (const point of this.props.forecast) {
            Object.assign(row(point.date), {
                forecast: point.forecast,
                lo_80: point.lo_80,
                hi_80: point.hi_80,
                lo_95: point.lo_95,
                hi_95: point.hi_95,
            });
        }
        const dates = [...byDate.keys()].sort();
        const pick = (key) => dates.map((date) => byDate.get(date)[key] ?? null);
        return { labels: dates.map(toMillis), pick };
    }

    getChartConfig() {
        const scheme = cookie.get("color_scheme");
        const historyColor = getColor(0, scheme, "sm");
        const forecastColor = getColor(4, scheme, "sm");
        const gridColor = getCustomColor(scheme, "#d8dadd", "#3C3E4B");
        const labelColor = getCustomColor(scheme, "#111827", "#E4E4E4");
        const { labels, pick } = this.buildSeries();
        const line = { pointRadius: 0, pointHoverRadius: 3, tension: 0.15, spanGaps: false };
        const band = (label, hiKey, loKey, opacity) => [
            {
                ...line,
                label,
                data: pick(hiKey),
                borderWidth: 0,
                borderColor: "transparent",
                backgroundColor: hexToRGBA(forecastColor, opacity),
                fill: "+1",
                sfaiBand: { lo: loKey },
            },
            {
                ...line,
                label: `${label} (low)`,
                data: pick(loKey),
                borderWidth: 0,
                borderColor: "transparent",
                fill: false,
                sfaiHidden: true,
            },
        ];
        const datasets = [
            ...band(_t("95% interval"), "hi_95", "lo_95", 0.12),
            ...band(_t("80% interval"), "hi_80", "lo_80", 0.25),
            {
                ...line,
                label: _t("Forecast"),
                data: pick("forecast"),
                borderColor: forecastColor,
                backgroundColor: forecastColor,
                borderWidth: 2,
                fill: false,
            },
            {
                ...line,
                label: _t("History"),
                data: pick("history"),
                borderColor: historyColor,
                backgroundColor: historyColor,
                borderWidth: 1.5,
                fill: false,
            },
        ];
        return {
            type: "line",
            data: { labels, datasets },
            options: {
                responsive: true,
                maintainAspectRatio: false,
                animation: false,
                interaction: { mode: "index", intersect: false },
                scales: {
                    x: {
                        type: "time",
                        time: { minUnit: "day", tooltipFormat: "DD" },
                        grid: { display: false },
                        ticks: { color: labelColor, maxRotation: 0, autoSkipPadding: 16 },
                    },
                    y: {
                        beginAtZero: true,
                        grid: { color: gridColor },
                        ticks: { color: labelColor },
                        title: {
                            display: Boolean(this.props.uom),
                            text: this.props.uom,
                            color: labelColor,
                        },
                    },
                },
                plugins: {
                    legend: {
                        position: "bottom",
                        labels: {
                            color: labelColor,
                            filter: (item, data) => !data.datasets[item.datasetIndex].sfaiHidden,
                        },
                    },
                    tooltip: {
                        filter: (item) =>
                            !item.dataset.sfaiHidden && item.raw !== null && item.raw !== undefined,
                        callbacks: { label: (item) => this.tooltipLabel(item) },
                    },
                    sfaiTodayLine: {
                        value: this.props.today ? toMillis(this.props.today) : false,
                        label: _t("Today"),
                        color: labelColor,
                    },
                },
            },
            plugins: [todayLinePlugin],
        };
    }

    tooltipLabel(item) {
        const band = item.dataset.sfaiBand;
        if (band) {
            const low = item.chart.data.datasets[item.datasetIndex + 1].data[item.dataIndex];
            return `${item.dataset.label}: ${formatQty(low)} – ${formatQty(item.raw)}`;
        }
        return `${item.dataset.label}: ${formatQty(item.raw)}`;
    }
}
