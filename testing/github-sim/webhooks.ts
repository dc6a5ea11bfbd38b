import { createHmac, randomUUID } from "node:crypto";
import { sign } from "@octokit/webhooks-methods";

export interface WebhookDelivery {
  /** Event name, e.g. `pull_request` (the action is in the payload). */
  event: string;
  payload: object;
  secret: string;
  /** `x-github-delivery`; a random UUID by default, as GitHub sends. */
  deliveryId?: string;
}

/**
 * Deliver a webhook the way GitHub does: a JSON POST with `x-github-event`,
 * `x-github-delivery` and HMAC signatures of the exact body (`x-hub-signature-256`,
 * plus the legacy SHA-1 `x-hub-signature`). Resolves with the receiver's answer.
 */
export async function sendWebhook(appUrl: string, opts: WebhookDelivery): Promise<{ status: number; body: string }> {
  const body = JSON.stringify(opts.payload);
  const res = await fetch(appUrl, {
    method: "POST",
    headers: {
      "content-type": "application/json",
      "user-agent": "GitHub-Hookshot/github-sim",
      "x-github-event": opts.event,
      "x-github-delivery": opts.deliveryId ?? randomUUID(),
      "x-github-hook-installation-target-type": "integration",
      "x-hub-signature": `sha1=${createHmac("sha1", opts.secret).update(body).digest("hex")}`,
      "x-hub-signature-256": await sign(opts.secret, body),
    },
    body,
  });
  return { status: res.status, body: await res.text() };
}
