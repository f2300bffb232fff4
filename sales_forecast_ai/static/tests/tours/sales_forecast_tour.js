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

registry.category("web_tour.tours").add("sales_forecast_ai_dashboard_tour", {
    url: "/odoo/sales-forecast",
    steps: () => [
        {
            content: "KPI cards show the last run's figures",
            trigger: ".o_sfai_dashboard .o_sfai_kpi[data-kpi='products'] .o_sfai_kpi_value:contains(2)",
        },
        {
            content: "30-day total sums every forecast series",
            trigger: ".o_sfai_kpi[data-kpi='total_30'] .o_sfai_kpi_value:contains(450)",
        },
        {
            content: "The last run card shows its failed series",
            trigger: ".o_sfai_last_run:contains(1 failed)",
        },
        {
            content: "Model comparison lists the winner first",
            trigger: ".o_sfai_model_table tbody tr:first-child td:first-child:contains(mlp)",
        },
        {
            content: "and every model of the run",
            trigger: ".o_sfai_model_table tbody tr:nth-child(2) td:first-child:contains(ets)",
        },
        {
            content: "Series mix shows the trend shares",
            trigger: ".o_sfai_shares [data-share='trend'] .o_sfai_share_value:contains(33)",
        },
        {
            content: "Recent runs are listed",
            trigger: ".o_sfai_runs .o_sfai_run_row .badge:contains(Done)",
        },
        {
            content: "The forecast-vs-history chart of the top product is drawn",
            trigger: ".o_sfai_dashboard_chart canvas[data-points]",
        },
        screenshotStep("dashboard", ".o_sfai_dashboard_chart canvas[data-points]"),
        {
            content: "Open the top product's chart",
            trigger: ".o_sfai_top_product:contains(SFAI Tour Product A):first",
            run: "click",
        },
        {
            content: "The chart action shows the product",
            trigger: ".o_sfai_forecast_chart_action .o_sfai_product_name:contains(SFAI Tour Product A)",
        },
        {
            content: "with its champion and 30-day total",
            trigger: ".o_sfai_forecast_chart_action [data-fact='total_30'] .o_sfai_fact_value:contains(300)",
        },
        {
            content: "and a drawn chart with history and forecast points",
            trigger: ".o_sfai_forecast_chart_action .o_sfai_forecast_chart canvas[data-points]",
        },
        {
            content: "Every candidate's backtest is listed, the champion marked",
            trigger: ".o_sfai_candidates tr.table-success:contains(mlp):contains(Champion)",
        },
        screenshotStep("chart", ".o_sfai_forecast_chart_action canvas[data-points]"),
        {
            content: "Switch to the product's other warehouse",
            trigger: ".o_sfai_warehouse_select",
            run: "selectByLabel SFAI Depot",
        },
        {
            content: "The chart now shows that warehouse's forecast",
            trigger: ".o_sfai_forecast_chart_action [data-fact='total_30'] .o_sfai_fact_value:contains(100)",
        },
        {
            content: "and is drawn again",
            trigger: ".o_sfai_forecast_chart_action .o_sfai_forecast_chart canvas[data-points]",
        },
    ],
});

registry.category("web_tour.tours").add("sales_forecast_ai_empty_dashboard_tour", {
    url: "/odoo/sales-forecast",
    steps: () => [
        {
            content: "Without any run the dashboard says what to do",
            trigger: ".o_sfai_dashboard .o_sfai_empty:contains(No forecast yet):contains(Run one now)",
        },
        screenshotStep("empty_dashboard", ".o_sfai_empty"),
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
