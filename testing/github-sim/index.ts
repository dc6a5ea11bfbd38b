/** The simulated GitHub: server, webhook delivery and payload builders. */
export {
  startGitHubSim,
  GitHubSim,
  type AddPullRequestOptions,
  type AddRepoOptions,
  type CheckRunRecord,
  type CheckRunSnapshot,
  type GitHubSimOptions,
  type InstallationView,
  type PullFile,
  type RateLimitFault,
  type RateLimitKind,
  type Role,
  type RouteGroup,
  type SimInstallation,
  type SimRepo,
  type SimRequest,
} from "./server.js";
export { sendWebhook, type WebhookDelivery } from "./webhooks.js";
export * from "./payloads.js";
export * from "./action-payloads.js";
export { blobSha, randomSha } from "./ids.js";
