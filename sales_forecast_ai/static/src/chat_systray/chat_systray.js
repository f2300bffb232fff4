import { Component, onWillStart, useExternalListener, useState } from "@odoo/owl";
import { registry } from "@web/core/registry";
import { user } from "@web/core/user";
import { ChatWidget } from "../chat_widget/chat_widget";

/** Top-bar button opening the data assistant in a side panel, for Sales Forecast users. */
export class ChatSystray extends Component {
    static template = "sales_forecast_ai.ChatSystray";
    static components = { ChatWidget };
    static props = {};

    setup() {
        this.state = useState({ open: false, allowed: false });
        onWillStart(async () => {
            this.state.allowed = await user.hasGroup("sales_forecast_ai.group_forecast_user");
        });
        useExternalListener(window, "keydown", (ev) => {
            if (ev.key === "Escape" && this.state.open) {
                this.close();
            }
        });
    }

    toggle() {
        this.state.open = !this.state.open;
    }

    close() {
        this.state.open = false;
    }
}

registry.category("systray").add("sales_forecast_ai.ChatSystray", { Component: ChatSystray }, { sequence: 25 });
