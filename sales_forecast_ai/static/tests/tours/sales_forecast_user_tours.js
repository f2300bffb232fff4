import { registry } from "@web/core/registry";

/**
 * The dashboard and a product's chart as the people who use them: a buyer (Purchase User) and a
 * warehouse clerk (Inventory User), on the results of a real forecast run over the demo data
 * (tests/test_ui_tour_roles.py). Neither may read sale orders: the history they see comes from
 * sales.forecast.history.reader. Any access error would open an error dialog and fail the tour.
 */

// A drawn chart with both curves: recorded sales and the forecast.
const FULL_CHART = "canvas[data-points]:not([data-history-points='0']):not([data-forecast-points='0'])";
const NO_ERROR = "body:not(:has(.o_error_dialog))";
// Steps that wait for a page to load get more than the default 10 s: the test machine is shared.
const LOAD_TIMEOUT = 30000;

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

function chartSteps() {
    return [
        {
            content: "The product's chart shows its history and forecast",
            trigger: `.o_sfai_forecast_chart_action .o_sfai_forecast_chart ${FULL_CHART}`,
            timeout: LOAD_TIMEOUT,
        },
        {
            content: "with no note hiding the history",
            trigger: ".o_sfai_forecast_chart_action:not(:has(.o_sfai_history_note))",
        },
        {
            content: "its confidence in percent",
            trigger: ".o_sfai_forecast_chart_action [data-fact='confidence'] .o_sfai_fact_value:contains(%)",
        },
        {
            content: "and no error",
            trigger: NO_ERROR,
        },
    ];
}

const PANEL = (name) => `.o_sfai_panel[data-panel='${name}'][data-state='content']`;

registry.category("web_tour.tours").add("sales_forecast_ai_user_dashboard_tour", {
    url: "/odoo/sales-forecast",
    steps: () => [
        {
            content: "The dashboard lists the products of the demo run",
            trigger: `.o_sfai_dashboard ${PANEL("top_products")} .o_sfai_top_row`,
            timeout: LOAD_TIMEOUT,
        },
        {
            content: "Scores say their unit",
            trigger: `${PANEL("model_quality")} .o_sfai_model_table th:contains(sMAPE (%))`,
            timeout: LOAD_TIMEOUT,
        },
        {
            content: "The sales curve draws both curves: recorded sales and the forecast",
            trigger: `${PANEL("sales_curve")} ${FULL_CHART}`,
            timeout: LOAD_TIMEOUT,
        },
        {
            content: "A buyer or clerk cannot start a run",
            trigger: ".o_control_panel:not(:has(.o_sfai_run_now))",
        },
        {
            content: "Every panel has left its loading state",
            trigger: ".o_sfai_dashboard:not(:has(.o_sfai_panel[data-state='loading']))",
            timeout: LOAD_TIMEOUT,
        },
        {
            content: "No error on the way",
            trigger: NO_ERROR,
        },
        screenshotStep("dashboard", `${PANEL("sales_curve")} ${FULL_CHART}`),
        {
            content: "Open the top product's chart",
            trigger: `${PANEL("top_products")} .o_sfai_top_row:first`,
            run: "click",
        },
        ...chartSteps(),
        screenshotStep("chart", `.o_sfai_forecast_chart_action ${FULL_CHART}`),
    ],
});

// Started on the product's form (the test opens it): its "Forecast" smart button opens the chart.
registry.category("web_tour.tours").add("sales_forecast_ai_user_product_button_tour", {
    steps: () => [
        {
            content: "Open the product's forecast from its smart button (in the overflow when buttons are many)",
            trigger: ".o_form_view .o-form-buttonbox",
            timeout: LOAD_TIMEOUT,
            async run() {
                const box = document.querySelector(".o_form_view .o-form-buttonbox");
                let button = box.querySelector("button[name='action_open_forecast_chart']");
                if (!button) {
                    box.querySelector(".o_button_more").click();
                    await new Promise((resolve) => setTimeout(resolve, 500));
                    button = document.querySelector(".o_dropdown_more button[name='action_open_forecast_chart']");
                }
                button.click();
            },
        },
        ...chartSteps(),
    ],
});
