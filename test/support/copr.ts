import { createCoprClient } from "../../src/backends/copr/client.js";
import type { BackendClient, SubmitRequest } from "../../src/backends/types.js";
import { FAKE_COPR_ACCOUNT, type CoprAccount } from "../../testing/fakes/copr.js";

/** Accounts and requests the Copr client tests share. */

export const SECRET = FAKE_COPR_ACCOUNT.token;
export const BASIC = `Basic ${Buffer.from(`${FAKE_COPR_ACCOUNT.login}:${FAKE_COPR_ACCOUNT.token}`).toString("base64")}`;
export const OTHER: CoprAccount = { login: "pqzvtxkwmrnbhdjcyalf", username: "someone", token: "other-secret-token" };
/** An account whose token ran out (Copr tokens last 180 days). */
export const EXPIRED: CoprAccount = {
  login: "ekfjqzvwmtyrnxbphdlc",
  username: "packit",
  token: "old-token-of-packit",
  expiresOn: "2020-01-31",
};

export function coprClient(url: string, account: CoprAccount = FAKE_COPR_ACCOUNT, timeoutMs = 10_000): BackendClient {
  return createCoprClient({ url, login: account.login, username: account.username, token: account.token, timeoutMs });
}

export function request(over: Partial<SubmitRequest> = {}): SubmitRequest {
  return {
    token: "5b1c0b5e-2d0b-4a57-9c3e-7f1a1d2a9f10",
    target: "fedora-rawhide-x86_64",
    source: { owner: "acme", repo: "widget", cloneUrl: "https://github.com/acme/widget.git", sha: "a".repeat(40), pr: 7 },
    options: {},
    ...over,
  };
}
