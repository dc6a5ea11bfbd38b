/**
 * GitHub's REST representations of the simulator's records, trimmed to the fields
 * apps read but with GitHub's names and types. `api` is the API base URL (the
 * simulator's own URL), so `url` fields can be followed like real ones.
 */
import { nodeId } from "./ids.js";
import type {
  Account,
  AppInfo,
  CheckRunRecord,
  CommentRecord,
  InstallationRecord,
  PullRecord,
  ReactionRecord,
  RepoRecord,
} from "./state.js";

export const WEB = "https://github.com";

export function userJson(account: Account, api: string) {
  const kind = account.type === "Organization" ? "Organization" : account.type === "Bot" ? "Bot" : "User";
  const url = `${api}/users/${encodeURIComponent(account.login)}`;
  return {
    login: account.login,
    id: account.id,
    node_id: nodeId(kind, account.id),
    avatar_url: `https://avatars.githubusercontent.com/u/${account.id}?v=4`,
    gravatar_id: "",
    url,
    html_url: `${WEB}/${account.type === "Bot" ? `apps/${account.login.replace(/\[bot\]$/, "")}` : account.login}`,
    followers_url: `${url}/followers`,
    following_url: `${url}/following{/other_user}`,
    gists_url: `${url}/gists{/gist_id}`,
    starred_url: `${url}/starred{/owner}{/repo}`,
    subscriptions_url: `${url}/subscriptions`,
    organizations_url: `${url}/orgs`,
    repos_url: `${url}/repos`,
    events_url: `${url}/events{/privacy}`,
    received_events_url: `${url}/received_events`,
    type: account.type,
    user_view_type: "public",
    site_admin: false,
  };
}

export function appJson(app: AppInfo, api: string, installationsCount?: number) {
  return {
    id: app.id,
    slug: app.slug,
    node_id: nodeId("App", app.id),
    client_id: `Iv1.${app.id.toString(16).padStart(16, "0")}`,
    owner: userJson(app.owner, api),
    name: app.name,
    description: "Packit as a GitHub App (simulated)",
    external_url: "https://packit.dev",
    html_url: `${WEB}/apps/${app.slug}`,
    created_at: app.createdAt,
    updated_at: app.createdAt,
    permissions: { ...app.permissions },
    events: [...app.events],
    ...(installationsCount === undefined ? {} : { installations_count: installationsCount }),
  };
}

export function installationJson(inst: InstallationRecord, app: AppInfo, api: string) {
  return {
    id: inst.id,
    account: userJson(inst.account, api),
    repository_selection: "selected" as const,
    access_tokens_url: `${api}/app/installations/${inst.id}/access_tokens`,
    repositories_url: `${api}/installation/repositories`,
    html_url: `${WEB}/${inst.account.type === "Organization" ? `organizations/${inst.account.login}/` : ""}settings/installations/${inst.id}`,
    app_id: app.id,
    app_slug: app.slug,
    target_id: inst.account.id,
    target_type: inst.account.type,
    permissions: { ...app.permissions },
    events: [...app.events],
    created_at: inst.created_at,
    updated_at: inst.updated_at,
    single_file_name: null,
    has_multiple_single_files: false,
    single_file_paths: [],
    suspended_by: inst.suspended_by ? userJson(inst.suspended_by, api) : null,
    suspended_at: inst.suspended_at,
  };
}

export function repoJson(repo: RepoRecord, api: string) {
  const full = `${repo.owner.login}/${repo.name}`;
  const url = `${api}/repos/${full}`;
  const html = `${WEB}/${full}`;
  return {
    id: repo.id,
    node_id: repo.node_id,
    name: repo.name,
    full_name: full,
    private: repo.private,
    owner: userJson(repo.owner, api),
    html_url: html,
    description: null,
    fork: repo.fork,
    url,
    forks_url: `${url}/forks`,
    keys_url: `${url}/keys{/key_id}`,
    collaborators_url: `${url}/collaborators{/collaborator}`,
    teams_url: `${url}/teams`,
    hooks_url: `${url}/hooks`,
    issue_events_url: `${url}/issues/events{/number}`,
    events_url: `${url}/events`,
    assignees_url: `${url}/assignees{/user}`,
    branches_url: `${url}/branches{/branch}`,
    tags_url: `${url}/tags`,
    blobs_url: `${url}/git/blobs{/sha}`,
    git_tags_url: `${url}/git/tags{/sha}`,
    git_refs_url: `${url}/git/refs{/sha}`,
    trees_url: `${url}/git/trees{/sha}`,
    statuses_url: `${url}/statuses/{sha}`,
    languages_url: `${url}/languages`,
    stargazers_url: `${url}/stargazers`,
    contributors_url: `${url}/contributors`,
    subscribers_url: `${url}/subscribers`,
    subscription_url: `${url}/subscription`,
    commits_url: `${url}/commits{/sha}`,
    git_commits_url: `${url}/git/commits{/sha}`,
    comments_url: `${url}/comments{/number}`,
    issue_comment_url: `${url}/issues/comments{/number}`,
    contents_url: `${url}/contents/{+path}`,
    compare_url: `${url}/compare/{base}...{head}`,
    merges_url: `${url}/merges`,
    archive_url: `${url}/{archive_format}{/ref}`,
    downloads_url: `${url}/downloads`,
    issues_url: `${url}/issues{/number}`,
    pulls_url: `${url}/pulls{/number}`,
    milestones_url: `${url}/milestones{/number}`,
    notifications_url: `${url}/notifications{?since,all,participating}`,
    labels_url: `${url}/labels{/name}`,
    releases_url: `${url}/releases{/id}`,
    deployments_url: `${url}/deployments`,
    git_url: `git://github.com/${full}.git`,
    ssh_url: `git@github.com:${full}.git`,
    clone_url: `${html}.git`,
    svn_url: html,
    mirror_url: null,
    homepage: null,
    language: null,
    size: 0,
    forks_count: 0,
    stargazers_count: 0,
    watchers_count: 0,
    open_issues_count: 0,
    forks: 0,
    open_issues: 0,
    watchers: 0,
    network_count: 0,
    subscribers_count: 0,
    has_issues: true,
    has_projects: true,
    has_wiki: true,
    has_pages: false,
    has_downloads: true,
    has_discussions: false,
    license: null,
    topics: [],
    created_at: repo.created_at,
    updated_at: repo.created_at,
    pushed_at: repo.created_at,
    archived: false,
    disabled: false,
    visibility: repo.private ? "private" : "public",
    default_branch: repo.defaultBranch,
  };
}

/** The short repository form of installation payloads and `pull_requests[].head.repo`. */
export function repoStub(repo: { id: number; node_id: string; name: string; full_name: string; private: boolean }) {
  return { id: repo.id, node_id: repo.node_id, name: repo.name, full_name: repo.full_name, private: repo.private };
}

function checkRunPulls(pulls: PullRecord[], repo: RepoRecord, api: string) {
  const repoRef = { id: repo.id, url: `${api}/repos/${repo.owner.login}/${repo.name}`, name: repo.name };
  return pulls.map((p) => ({
    url: `${repoRef.url}/pulls/${p.number}`,
    id: p.id,
    number: p.number,
    head: { ref: p.head_ref, sha: p.head_sha, repo: repoRef },
    base: { ref: p.base_ref, sha: p.base_sha, repo: repoRef },
  }));
}

export function checkRunJson(run: CheckRunRecord, repo: RepoRecord, app: AppInfo, api: string, pulls: PullRecord[]) {
  const url = `${api}/repos/${repo.owner.login}/${repo.name}/check-runs/${run.id}`;
  return {
    id: run.id,
    head_sha: run.head_sha,
    node_id: run.node_id,
    external_id: run.external_id,
    url,
    html_url: `${WEB}/${repo.owner.login}/${repo.name}/runs/${run.id}`,
    details_url: run.details_url,
    status: run.status,
    conclusion: run.conclusion,
    started_at: run.started_at,
    completed_at: run.completed_at,
    output: {
      title: run.output.title,
      summary: run.output.summary,
      text: run.output.text,
      annotations_count: 0,
      annotations_url: `${url}/annotations`,
    },
    name: run.name,
    check_suite: { id: run.check_suite_id },
    app: appJson(app, api),
    pull_requests: checkRunPulls(pulls, repo, api),
  };
}

export function commentJson(c: CommentRecord, repo: RepoRecord, app: AppInfo, api: string, reactions: ReactionRecord[]) {
  const repoUrl = `${api}/repos/${repo.owner.login}/${repo.name}`;
  const url = `${repoUrl}/issues/comments/${c.id}`;
  const count = (content: string) => reactions.filter((r) => r.content === content).length;
  return {
    url,
    html_url: `${WEB}/${repo.owner.login}/${repo.name}/issues/${c.issue_number}#issuecomment-${c.id}`,
    issue_url: `${repoUrl}/issues/${c.issue_number}`,
    id: c.id,
    node_id: c.node_id,
    user: userJson(c.author, api),
    created_at: c.created_at,
    updated_at: c.updated_at,
    author_association: c.via_app ? "NONE" : "CONTRIBUTOR",
    body: c.body,
    reactions: {
      url: `${url}/reactions`,
      total_count: reactions.length,
      "+1": count("+1"),
      "-1": count("-1"),
      laugh: count("laugh"),
      hooray: count("hooray"),
      confused: count("confused"),
      heart: count("heart"),
      rocket: count("rocket"),
      eyes: count("eyes"),
    },
    performed_via_github_app: c.via_app ? appJson(app, api) : null,
  };
}

export function reactionJson(r: ReactionRecord, api: string) {
  return { id: r.id, node_id: r.node_id, user: userJson(r.user, api), content: r.content, created_at: r.created_at };
}

export function pullJson(p: PullRecord, repo: RepoRecord, headRepo: RepoRecord, api: string) {
  const full = `${repo.owner.login}/${repo.name}`;
  const repoUrl = `${api}/repos/${full}`;
  const url = `${repoUrl}/pulls/${p.number}`;
  const html = `${WEB}/${full}/pull/${p.number}`;
  const side = (r: RepoRecord, ref: string, sha: string) => ({
    label: `${r.owner.login}:${ref}`,
    ref,
    sha,
    user: userJson(r.owner, api),
    repo: repoJson(r, api),
  });
  const link = (href: string) => ({ href });
  return {
    url,
    id: p.id,
    node_id: p.node_id,
    html_url: html,
    diff_url: `${html}.diff`,
    patch_url: `${html}.patch`,
    issue_url: `${repoUrl}/issues/${p.number}`,
    commits_url: `${url}/commits`,
    review_comments_url: `${url}/comments`,
    review_comment_url: `${repoUrl}/pulls/comments{/number}`,
    comments_url: `${repoUrl}/issues/${p.number}/comments`,
    statuses_url: `${repoUrl}/statuses/${p.head_sha}`,
    number: p.number,
    state: p.state,
    locked: false,
    title: p.title,
    user: userJson(p.author, api),
    body: null,
    labels: [],
    milestone: null,
    active_lock_reason: null,
    created_at: p.created_at,
    updated_at: p.created_at,
    closed_at: null,
    merged_at: null,
    merge_commit_sha: null,
    assignee: null,
    assignees: [],
    requested_reviewers: [],
    requested_teams: [],
    draft: p.draft,
    head: side(headRepo, p.head_ref, p.head_sha),
    base: side(repo, p.base_ref, p.base_sha),
    _links: {
      self: link(url),
      html: link(html),
      issue: link(`${repoUrl}/issues/${p.number}`),
      comments: link(`${repoUrl}/issues/${p.number}/comments`),
      review_comments: link(`${url}/comments`),
      review_comment: link(`${repoUrl}/pulls/comments{/number}`),
      commits: link(`${url}/commits`),
      statuses: link(`${repoUrl}/statuses/${p.head_sha}`),
    },
    author_association: p.author.login.toLowerCase() === repo.owner.login.toLowerCase() ? "OWNER" : "CONTRIBUTOR",
    auto_merge: null,
    merged: false,
    mergeable: null,
    rebaseable: null,
    mergeable_state: "unknown",
    merged_by: null,
    comments: 0,
    review_comments: 0,
    maintainer_can_modify: false,
    commits: 1,
    additions: p.files.reduce((n, f) => n + (f.additions ?? 0), 0),
    deletions: p.files.reduce((n, f) => n + (f.deletions ?? 0), 0),
    changed_files: p.files.length,
  };
}
