import { registry } from "@web/core/registry";

// Run by tests/test_run_security.py as a Forecast Manager, who may not write runs: the buttons
// still queue, cancel and delete them (the server writes under its own rights).
registry.category("web_tour.tours").add("sales_forecast_ai_run_buttons_tour", {
    url: "/odoo/sales-forecast-runs",
    steps: () => [
        {
            content: "Queue a run from the list",
            trigger: ".o_list_view button[name='action_run_now'], .o_control_panel button[name='action_run_now']",
            run: "click",
        },
        {
            content: "The new run opens, queued",
            trigger: ".o_form_view .o_statusbar_status button.o_arrow_button_current:contains(Queued)",
        },
        {
            content: "Cancel it",
            trigger: ".o_form_view button[name='action_cancel']",
            run: "click",
        },
        {
            content: "Confirm",
            trigger: ".modal-footer button.btn-primary",
            run: "click",
        },
        {
            content: "The run is cancelled",
            trigger: ".o_form_view .o_statusbar_status button.o_arrow_button_current:contains(Cancelled)",
        },
        {
            content: "Open the actions menu",
            trigger: ".o_form_view .o_cp_action_menus button:has(i.fa-cog)",
            run: "click",
        },
        {
            content: "Delete the run",
            trigger: ".o-dropdown--menu .o-dropdown-item:contains(Delete)",
            run: "click",
        },
        {
            content: "Confirm the deletion",
            trigger: ".modal-footer button.btn-primary",
            run: "click",
        },
        {
            content: "Back to the (now empty) list",
            trigger: ".o_list_view, .o_view_nocontent",
        },
    ],
});
