/**
 * Webhooks: subscriptions and their filters, the EventBridge pattern each filter becomes, Standard Webhooks
 * signatures, the retry schedule, the delivery envelope and the rules a target address must pass (no AWS here).
 */
package dev.sluice.core.webhook;
