/** What the webhook payload builders share: the repository envelope, users, labels, ids. */
import { nodeId, stableId } from "./ids.js";
import { learn } from "./known.js";
import type { SimRepo } from "./server.js";
import { userJson } from "./shapes.js";
import { accountFor } from "./state.js";

export const ZERO_SHA = "0".repeat(40);
let nextId = 800_000_000;
/** A fresh id for a comment or release that the builders make up. */
export const newPayloadId = () => ++nextId;

export const apiOf = (repo: { url: string }) => new URL(repo.url).origin;
export const user = (login: string, api: string) => userJson(accountFor(login), api);

/** `repository`, `organization` (org-owned repos), `sender` and `installation`, common to repository events. */
export function envelope(repo: SimRepo, sender: string) {
  learn(repo, { users: [sender] });
  const { installationId, ...repository } = repo;
  const api = apiOf(repo);
  const org = repository.owner.type === "Organization" ? repository.owner : undefined;
  return {
    repository,
    ...(org
      ? {
          organization: {
            login: org.login,
            id: org.id,
            node_id: org.node_id,
            url: `${api}/orgs/${org.login}`,
            repos_url: `${api}/orgs/${org.login}/repos`,
            events_url: `${api}/orgs/${org.login}/events`,
            hooks_url: `${api}/orgs/${org.login}/hooks`,
            issues_url: `${api}/orgs/${org.login}/issues`,
            members_url: `${api}/orgs/${org.login}/members{/member}`,
            public_members_url: `${api}/orgs/${org.login}/public_members{/member}`,
            avatar_url: org.avatar_url,
            description: null,
          },
        }
      : {}),
    sender: user(sender, api),
    installation: { id: installationId, node_id: nodeId("IntegrationInstallation", installationId) },
  };
}

export function label(name: string, repo: SimRepo) {
  const id = stableId(`label:${repo.full_name}:${name}`);
  return {
    id,
    node_id: nodeId("Label", id),
    url: `${repo.url}/labels/${encodeURIComponent(name)}`,
    name,
    color: "ededed",
    default: false,
    description: null,
  };
}

/** No reactions yet, in GitHub's rollup form. */
export const reactionRollup = (of: string) => ({
  url: `${of}/reactions`,
  total_count: 0,
  "+1": 0,
  "-1": 0,
  laugh: 0,
  hooray: 0,
  confused: 0,
  heart: 0,
  rocket: 0,
  eyes: 0,
});
