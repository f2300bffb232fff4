import { registry } from "@web/core/registry";

// Run by tests/test_purchase_suggestion_tour.py: a buyer opens Purchase Suggestions, reads why a
// product must be ordered now, and turns the ORDER NOW lines into requests for quotation.
registry.category("web_tour.tours").add("sales_forecast_ai_purchase_suggestion_tour", {
    url: "/odoo/purchase-suggestions",
    steps: () => [
        {
            content: "ORDER NOW lines are shown with their badge",
            trigger: ".o_list_view .o_data_row .badge:contains(Order Now)",
        },
        {
            content: "The reason says which forecast and lead time",
            trigger: ".o_data_row td[name='reason']:contains(lead time)",
        },
        {
            content: "Select every line",
            trigger: ".o_list_view thead .o_list_record_selector input",
            run: "click",
        },
        {
            content: "Create the requests for quotation",
            trigger: "button[name='action_create_rfq']",
            run: "click",
        },
        {
            content: "They open, one per vendor and warehouse",
            trigger: ".o_notification:contains(request(s) for quotation)",
        },
    ],
});
