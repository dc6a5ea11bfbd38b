/** The simulated GitHub: server, webhook delivery and payload builders. */
export { startGitHubSim, GitHubSim, type CheckRunRecord, type SimInstallation, type SimRepo } from "./server.js";
export { sendWebhook } from "./webhooks.js";
export * from "./payloads.js";
export * from "./action-payloads.js";
export { blobSha, randomSha } from "./ids.js";
