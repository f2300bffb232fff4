import { registry } from "@web/core/registry";

// A salesperson opens a quotation, looks at the "Suggested Products" panel and adds one in one click.
registry.category("web_tour.tours").add("sales_forecast_quotation_suggestions", {
    steps: () => [
        {
            content: "Open the Suggested Products panel",
            trigger: ".o_notebook a.nav-link:contains('Suggested Products')",
            run: "click",
        },
        {
            content: "Add the suggested teapot",
            trigger: ".o_field_widget[name=sf_suggestion_ids] .o_data_row:contains('SFAI Tour Teapot') button[name=action_add_to_order]",
            run: "click",
        },
        {
            content: "The teapot left the suggestions",
            trigger: ".o_field_widget[name=sf_suggestion_ids]:not(:has(.o_data_row:contains('SFAI Tour Teapot')))",
        },
        {
            content: "Back to the order lines",
            trigger: ".o_notebook a.nav-link:contains('Order Lines')",
            run: "click",
        },
        {
            content: "The teapot is on the quotation",
            trigger: ".o_field_widget[name=order_line] .o_data_row:contains('SFAI Tour Teapot')",
        },
    ],
});
