import { Component, onMounted, onWillStart, useEffect, useRef, useState } from "@odoo/owl";
import { _t } from "@web/core/l10n/translation";
import { useService } from "@web/core/utils/hooks";

/**
 * The data assistant's conversation: history, a question box, a typing state while the server
 * answers, and links to the records each answer used. Reusable: the systray panel embeds it, and
 * so can the dashboard (`<ChatWidget/>`, optionally `compact` and `onClose`).
 *
 * Answers are shown as text (never as HTML): they may quote product names or other record data.
 */
export class ChatWidget extends Component {
    static template = "sales_forecast_ai.ChatWidget";
    static props = {
        compact: { type: Boolean, optional: true },
        onClose: { type: Function, optional: true },
        autofocus: { type: Boolean, optional: true },
    };
    static defaultProps = { compact: false, autofocus: true };

    setup() {
        this.orm = useService("orm");
        this.action = useService("action");
        this.state = useState({
            loaded: false,
            sessionId: false,
            messages: [],
            question: "",
            typing: false,
            mode: "groq",
            groqReady: false,
        });
        this.inputRef = useRef("input");
        this.scrollRef = useRef("scroll");
        onWillStart(() => this.load());
        onMounted(() => {
            if (this.props.autofocus) {
                this.inputRef.el?.focus();
            }
        });
        // Keep the latest turn in view as messages arrive.
        useEffect(
            () => {
                const el = this.scrollRef.el;
                if (el) {
                    el.scrollTop = el.scrollHeight;
                }
            },
            () => [this.state.messages.length, this.state.typing]
        );
    }

    async load() {
        const conversation = await this.orm.call("sales.forecast.assistant", "get_conversation", []);
        Object.assign(this.state, {
            loaded: true,
            sessionId: conversation.session_id,
            messages: conversation.messages,
            mode: conversation.mode,
            groqReady: conversation.groq_ready,
        });
    }

    get statusLabel() {
        if (this.state.mode === "off") {
            return _t("Turned off by your administrator");
        }
        return this.state.groqReady ? _t("Groq AI") : _t("Built-in assistant (offline)");
    }

    get examples() {
        return [
            _t("What should I reorder?"),
            _t("Top products last month"),
            _t("Any anomalies this week?"),
            _t("Which model is best?"),
        ];
    }

    async send(question = this.state.question) {
        question = (question || "").trim();
        if (!question || this.state.typing) {
            return;
        }
        this.state.question = "";
        this.state.messages.push({ id: `local-${Date.now()}`, role: "user", content: question, records: [] });
        this.state.typing = true;
        try {
            const result = await this.orm.call("sales.forecast.assistant", "ask", [question], {
                session_id: this.state.sessionId,
            });
            this.state.sessionId = result.session_id;
            this.state.messages.push({
                id: `local-${Date.now()}-a`,
                role: "assistant",
                content: result.answer,
                source: result.source,
                records: result.records,
                error: result.error,
            });
        } catch (error) {
            // A refusal (assistant off, question too long...) is shown in the conversation too.
            const message = error?.data?.message || error?.message || _t("The assistant could not answer.");
            this.state.messages.push({
                id: `local-${Date.now()}-e`,
                role: "assistant",
                content: message,
                source: "error",
                records: [],
            });
        } finally {
            this.state.typing = false;
            this.inputRef.el?.focus();
        }
    }

    async newConversation() {
        if (this.state.typing) {
            return;
        }
        const sessionId = await this.orm.call("sales.forecast.assistant", "new_conversation", []);
        Object.assign(this.state, { sessionId, messages: [], question: "" });
        this.inputRef.el?.focus();
    }

    onKeydown(ev) {
        if (ev.key === "Enter" && !ev.shiftKey) {
            ev.preventDefault();
            this.send();
        }
    }

    openRecord(record) {
        this.action.doAction({
            type: "ir.actions.act_window",
            res_model: record.model,
            res_id: record.id,
            views: [[false, "form"]],
            target: "current",
        });
        this.props.onClose?.();
    }

    sourceLabel(message) {
        if (message.source === "groq") {
            return _t("Groq AI");
        }
        if (message.source === "builtin") {
            return _t("Built-in assistant");
        }
        return "";
    }
}
