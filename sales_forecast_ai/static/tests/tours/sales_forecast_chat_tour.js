import { registry } from "@web/core/registry";

/** Asks tests/test_chat_tour.py for a screenshot, then gives it time to be taken. */
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

function askSteps(question) {
    return [
        {
            content: "Open the assistant from the top bar",
            trigger: ".o_main_navbar .o_sfai_chat_systray_toggle",
            run: "click",
        },
        {
            content: "The panel opens on an empty conversation with examples",
            trigger: ".o_sfai_chat_panel .o_sfai_chat_empty .o_sfai_chat_example",
        },
        {
            content: "Type a question",
            trigger: ".o_sfai_chat_panel .o_sfai_chat_input",
            run: `edit ${question}`,
        },
        {
            content: "Send it",
            trigger: ".o_sfai_chat_panel .o_sfai_chat_send:enabled",
            run: "click",
        },
        {
            content: "The question shows in the conversation",
            trigger: `.o_sfai_chat_panel .o_sfai_chat_user .o_sfai_chat_text:contains(${question})`,
        },
    ];
}

registry.category("web_tour.tours").add("sales_forecast_ai_chat_tour", {
    url: "/odoo",
    steps: () => [
        ...askSteps("Top products last month"),
        {
            content: "The built-in assistant answers, labelled as such",
            trigger: ".o_sfai_chat_panel .o_sfai_chat_assistant[data-source='builtin'] .o_sfai_chat_text:contains(Top products from)",
        },
        {
            content: "with the best seller first",
            trigger: ".o_sfai_chat_panel .o_sfai_chat_assistant .o_sfai_chat_text:contains(SFAI Chat Best Seller: 5 000)",
        },
        {
            content: "and links to the products it used",
            trigger: ".o_sfai_chat_panel .o_sfai_chat_record:contains(SFAI Chat Best Seller)",
        },
        screenshotStep("chat", ".o_sfai_chat_panel .o_sfai_chat_record"),
        {
            content: "Start a new conversation",
            trigger: ".o_sfai_chat_panel .o_sfai_chat_new",
            run: "click",
        },
        {
            content: "The new conversation is empty",
            trigger: ".o_sfai_chat_panel .o_sfai_chat_empty",
        },
        {
            content: "An example question is one click away",
            trigger: ".o_sfai_chat_panel .o_sfai_chat_example:contains(Which model is best?)",
            run: "click",
        },
        {
            content: "and answered",
            trigger: ".o_sfai_chat_panel .o_sfai_chat_assistant .o_sfai_chat_text:contains(MASE)",
        },
        {
            content: "A record link opens the record",
            trigger: ".o_sfai_chat_panel .o_sfai_chat_assistant:last .o_sfai_chat_record",
            run: "click",
        },
        {
            content: "The run's form is open and the panel closed",
            trigger: "body:not(:has(.o_sfai_chat_panel)) .o_form_view .o_field_widget[name=name]",
        },
    ],
});

registry.category("web_tour.tours").add("sales_forecast_ai_chat_groq_tour", {
    url: "/odoo",
    steps: () => [
        ...askSteps("Quels sont les meilleurs produits ?"),
        {
            content: "Groq's answer is shown, in the question's language",
            trigger: ".o_sfai_chat_panel .o_sfai_chat_assistant[data-source='groq'] .o_sfai_chat_text:contains(Le produit le plus vendu)",
        },
        {
            content: "with the records its tools read",
            trigger: ".o_sfai_chat_panel .o_sfai_chat_record:contains(SFAI Chat Best Seller)",
        },
        screenshotStep("chat_groq", ".o_sfai_chat_panel .o_sfai_chat_record"),
    ],
});
