import { rpc } from "@web/core/network/rpc";
import { registry } from "@web/core/registry";

const APP = ".app_settings_block[data-key='sales_forecast_ai']";

async function companiesWithHorizon(days) {
    return rpc("/web/dataset/call_kw/res.company/search_count", {
        model: "res.company",
        method: "search_count",
        args: [[["forecast_horizon_days", "=", days]]],
        kwargs: {},
    });
}

// Run by tests/test_settings_tour.py: the settings render in the browser and save.
registry.category("web_tour.tours").add("sales_forecast_ai_settings_tour", {
    url: "/odoo/action-sales_forecast_ai.action_sales_forecast_config_settings",
    steps: () => [
        {
            content: "The Settings menu opens the Sales Forecast settings",
            trigger: `${APP} h2:contains(Forecasting)`,
        },
        {
            content: "The Groq key is typed into a password field",
            trigger: `${APP} input[id^='forecast_groq_api_key'][type='password']`,
        },
        {
            content: "Scheduled training shows its frequency and hour while it is on",
            trigger: `${APP} input[id^='forecast_cron_active']:checked`,
        },
        {
            trigger: `${APP} input[id^='forecast_cron_hour']`,
        },
        {
            content: "Change the forecast horizon",
            trigger: `${APP} input[id^='forecast_horizon_days']`,
            run: "edit 120",
        },
        {
            content: "Save",
            trigger: ".o_form_button_save",
            run: "click",
        },
        {
            // Saving reloads the page; this step starts again after the reload if it must.
            content: "The company now forecasts 120 days ahead",
            trigger: APP,
            async run() {
                for (let attempt = 0; attempt < 40; attempt++) {
                    if (await companiesWithHorizon(120)) {
                        return;
                    }
                    await new Promise((resolve) => setTimeout(resolve, 250));
                }
                throw new Error("the forecast horizon was not saved");
            },
        },
    ],
});
