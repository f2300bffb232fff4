import { registry } from "@web/core/registry";

/**
 * Asks the Python test (tests/test_ui_tour.py) for a screenshot, then waits for it to be taken
 * before the tour moves on. Outside that test the log line is harmless.
 */
function screenshotStep(name, trigger) {
    return {
        content: `Screenshot of the ${name}`,
        trigger,
        async run() {
            console.log(`sfai_screenshot:${name}`);
            await new Promise((resolve) => setTimeout(resolve, 1500));
        },
    };
}

/** A step that only passes when the URL holds ``fragment`` (the filters are kept in the URL). */
function urlStep(fragment) {
    return {
        content: `The URL keeps ${fragment}`,
        trigger: ".o_sfai_dashboard",
        async run() {
            // The URL follows once the server has confirmed the filters: give it a few seconds.
            for (let attempt = 0; attempt < 50 && !window.location.href.includes(fragment); attempt++) {
                await new Promise((resolve) => setTimeout(resolve, 100));
            }
            if (!window.location.href.includes(fragment)) {
                throw new Error(`${fragment} missing from ${window.location.href}`);
            }
        },
    };
}

// Ten panels reload after each filter change; a loaded CI machine needs more than the default 10 s.
const patient = (steps) => steps.map((step) => ({ timeout: 30000, ...step }));

const panel = (name, state = "content") => `.o_sfai_panel[data-panel='${name}'][data-state='${state}']`;

registry.category("web_tour.tours").add("sales_forecast_ai_dashboard_tour", {
    url: "/odoo/sales-forecast",
    steps: () => patient([
        {
            content: "The forecast KPI sums the latest forecast's series",
            trigger: `${panel("kpis")} .o_sfai_kpi_card[data-kpi='forecast_30'] .o_sfai_kpi_value:contains(450)`,
        },
        {
            content: "Units sold has a previous period and a trend",
            trigger: `${panel("kpis")} .o_sfai_kpi_card[data-kpi='units_sold'] .o_sfai_kpi_trend`,
        },
        {
            content: "The sales curve with its forecast is drawn",
            trigger: `${panel("sales_curve")} canvas[data-points]`,
        },
        {
            content: "The weekday heatmap is filled",
            trigger: `${panel("heatmaps")} .o_sfai_heatmap_weekday .o_sfai_heatmap_cell[style*='background']`,
        },
        {
            content: "and the category heatmap too",
            trigger: `${panel("heatmaps")} .o_sfai_heatmap_category tbody tr`,
        },
        {
            content: "The distribution's histogram is drawn, with a box plot per category",
            trigger: `${panel("distribution")} canvas[data-points]`,
        },
        {
            content: "Box plots are drawn",
            trigger: `${panel("distribution")} .o_sfai_boxplot .o_sfai_box`,
        },
        {
            content: "Top products by quantity are listed",
            trigger: `${panel("top_products")} .o_sfai_top_row`,
        },
        {
            content: "Stock status counts the forecast series",
            trigger: `${panel("stock_status")} .o_sfai_stock_status[data-status='out']`,
        },
        {
            content: "Model quality lists the winner first",
            trigger: `${panel("model_quality")} .o_sfai_model_table tbody tr:first-child td:first-child:contains(mlp)`,
        },
        {
            content: "and the last run's status",
            trigger: `${panel("model_quality")} .o_sfai_last_run .badge:contains(Done)`,
        },
        {
            content: "Every panel has left its loading state",
            trigger: ".o_sfai_dashboard:not(:has(.o_sfai_panel[data-state='loading']))",
        },
        screenshotStep("dashboard", `${panel("sales_curve")} canvas[data-points]`),
        {
            content: "The ABC/XYZ matrix, filled by the analytics refresh, opens a cell's products",
            trigger: `${panel("abc_xyz")} .o_sfai_abc_xyz_cell:not([data-count='0'])`,
            run: "click",
        },
        {
            content: "The cell's products are listed",
            trigger: ".o_list_view .o_data_row",
        },
        {
            content: "Back to the dashboard",
            trigger: ".o_breadcrumb .o_back_button a, .o_breadcrumb .breadcrumb-item:first-child a",
            run: "click",
        },
        {
            content: "A catalogue KPI opens the records behind it: the latest forecasts",
            trigger: `${panel("kpis")} .o_sfai_kpi_card[data-kpi='products_with_model']`,
            run: "click",
        },
        {
            content: "The forecasts are listed",
            trigger: ".o_list_view .o_data_row",
        },
        {
            content: "Back to the dashboard again",
            trigger: ".o_breadcrumb .o_back_button a, .o_breadcrumb .breadcrumb-item:first-child a",
            run: "click",
        },
        {
            content: "The data assistant is folded on the dashboard: unfold it",
            trigger: ".o_sfai_dashboard_chat[data-state='collapsed'] .o_sfai_chat_toggle",
            run: "click",
        },
        {
            content: "The assistant opens in the page",
            trigger: ".o_sfai_dashboard_chat[data-state='open'] .o_sfai_chat .o_sfai_chat_header",
        },
        {
            content: "and folds again",
            trigger: ".o_sfai_dashboard_chat .o_sfai_chat_toggle",
            run: "click",
        },
        {
            content: "Folded",
            trigger: ".o_sfai_dashboard_chat[data-state='collapsed']:not(:has(.o_sfai_chat))",
        },
        {
            content: "Show the last 90 days",
            trigger: ".o_sfai_filter_period",
            run: "select 90",
        },
        {
            content: "The filter bar shows the new period",
            trigger: ".o_sfai_filter_period:has(option[value='90']:checked)",
        },
        {
            content: "and the panels reloaded",
            trigger: `.o_sfai_dashboard:not(:has(.o_sfai_panel[data-state='loading'])) ${panel("sales_curve")} canvas[data-points]`,
        },
        urlStep("period=90"),
        {
            content: "Keep one warehouse",
            trigger: ".o_sfai_filter_warehouse",
            run: "selectByLabel SFAI Depot",
        },
        {
            content: "The forecast KPI now counts that warehouse only",
            trigger: `${panel("kpis")} .o_sfai_kpi_card[data-kpi='forecast_30'] .o_sfai_kpi_value:contains(100)`,
        },
        urlStep("warehouse_id="),
        {
            content: "Pick the root product category (the tour's products are in it)",
            trigger: ".o_sfai_filter_category",
            run() {
                const select = document.querySelector(".o_sfai_filter_category");
                select.value = [...select.options].find((option) => option.label.trim() === "All").value;
                select.dispatchEvent(new Event("change", { bubbles: true }));
            },
        },
        urlStep("categ_id="),
        {
            content: "The category keeps the product's forecast",
            trigger: `${panel("kpis")} .o_sfai_kpi_card[data-kpi='forecast_30'] .o_sfai_kpi_value:contains(100)`,
        },
        {
            content: "Weekly buckets for the sales curve",
            trigger: `${panel("sales_curve")} .o_sfai_curve_granularity [data-granularity='week']`,
            run: "click",
        },
        {
            content: "The curve is redrawn weekly",
            trigger: `${panel("sales_curve")} .o_sfai_curve_granularity .btn-primary[data-granularity='week']`,
        },
        {
            content: "Open the records behind the forecast KPI",
            trigger: ".o_sfai_kpi_card[data-kpi='forecast_30']",
            run: "click",
        },
        {
            content: "The drill-down lists the filtered warehouse's forecast only",
            trigger: ".o_list_view .o_data_row:contains(SFAI Tour Product A)",
        },
        {
            content: "and nothing from the other warehouse",
            trigger: ".o_list_view:not(:has(.o_data_row:contains(SFAI Tour Product B)))",
        },
        {
            content: "Back to the dashboard",
            trigger: ".o_breadcrumb .o_back_button a, .o_breadcrumb .breadcrumb-item:first-child a",
            run: "click",
        },
        {
            content: "The filters survived the round trip",
            trigger: ".o_sfai_filter_warehouse:has(option:checked:contains(SFAI Depot))",
        },
    ]),
});

// Run once per language by the test: the dashboard with every chart drawn, for a screenshot.
registry.category("web_tour.tours").add("sales_forecast_ai_dashboard_lang_tour", {
    url: "/odoo/sales-forecast",
    steps: () => patient([
        {
            content: "Every panel has loaded",
            trigger: ".o_sfai_dashboard:has(.o_sfai_panel[data-panel='model_quality'][data-state='content']):not(:has(.o_sfai_panel[data-state='loading']))",
        },
        {
            content: "and the charts are drawn",
            trigger: `${panel("sales_curve")} canvas[data-points]`,
        },
        screenshotStep("dashboard_lang", `${panel("distribution")} canvas[data-points]`),
    ]),
});

registry.category("web_tour.tours").add("sales_forecast_ai_empty_dashboard_tour", {
    url: "/odoo/sales-forecast",
    steps: () => [
        {
            content: "Without any run the dashboard says what to do",
            trigger: ".o_sfai_dashboard .o_sfai_no_run:contains(No forecast yet):contains(Run one now)",
        },
        {
            content: "Panels without data say so instead of staying blank",
            trigger: ".o_sfai_panel[data-panel='model_quality'][data-state='empty']:contains(No forecast run yet)",
        },
        screenshotStep("empty_dashboard", ".o_sfai_no_run"),
        {
            content: "A manager can start a run from there",
            trigger: ".o_control_panel .o_sfai_run_now:enabled",
            run: "click",
        },
        {
            content: "The queued run is announced and the button waits for it",
            trigger: ".o_sfai_active_run:contains(Queued)",
        },
        {
            content: "Run now is disabled while a run is active",
            trigger: ".o_control_panel .o_sfai_run_now:disabled",
        },
    ],
});

// No url: the test opens /odoo/sales-forecast-chart?product_id=…&warehouse_id=… itself, as a
// reload or a shared link would, to check the chart rebuilds from the URL alone.
registry.category("web_tour.tours").add("sales_forecast_ai_chart_url_tour", {
    steps: () => [
        {
            content: "The chart action reads the product from the URL",
            trigger: ".o_sfai_forecast_chart_action .o_sfai_product_name:contains(SFAI Tour Product A)",
        },
        {
            content: "and the warehouse too",
            trigger: ".o_sfai_forecast_chart_action [data-fact='total_30'] .o_sfai_fact_value:contains(100)",
        },
        {
            content: "The warehouse selector shows it",
            trigger: ".o_sfai_warehouse_select:has(option:checked:contains(SFAI Depot))",
        },
        {
            content: "and so does the title",
            trigger: ".o_sfai_warehouse_name:contains(SFAI Depot)",
        },
        {
            content: "A warehouse without sales says so",
            trigger: ".o_sfai_history_note:contains(No sales recorded)",
        },
        {
            content: "The forecast is drawn",
            trigger: ".o_sfai_forecast_chart canvas[data-points]",
        },
    ],
});

// Started on the product's form: its "Forecast" smart button hands over to the chart action.
registry.category("web_tour.tours").add("sales_forecast_ai_product_button_tour", {
    steps: () => [
        {
            content: "The forecast button sits in the form's overflowing button box",
            trigger: ".o_form_view .o-form-buttonbox .o_button_more",
            run: "click",
        },
        {
            content: "Open the product's forecast",
            trigger: ".o_dropdown_more button[name='action_open_forecast_chart']",
            run: "click",
        },
        {
            content: "The chart opens on the product's largest series",
            trigger: ".o_sfai_forecast_chart_action [data-fact='total_30'] .o_sfai_fact_value:contains(300)",
        },
        {
            content: "with the product's name",
            trigger: ".o_sfai_forecast_chart_action .o_sfai_product_name:contains(SFAI Tour Product A)",
        },
        {
            content: "and its chart drawn",
            trigger: ".o_sfai_forecast_chart canvas[data-points]",
        },
    ],
});
