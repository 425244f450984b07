package dev.sluice.adapters.webhook;

import dev.sluice.core.usecase.WebhookDispatch;
import dev.sluice.core.usecase.WebhookService;

/** The webhook use cases, as the wiring root ({@code dev.sluice.adapters.Wiring}) built them. */
public final class WebhookPlane {
    private final WebhookService service;
    private final WebhookDispatch dispatch;

    public WebhookPlane(WebhookService service, WebhookDispatch dispatch) {
        this.service = service;
        this.dispatch = dispatch;
    }

    public WebhookService service() {
        return service;
    }

    public WebhookDispatch dispatch() {
        return dispatch;
    }
}
