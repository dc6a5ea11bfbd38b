import type { GitHub } from "./octokit.js";

/** GitHub refuses an issue or pull request comment longer than this ("Body cannot be more than 65536 characters"). */
export const MAX_COMMENT_CHARS = 65_536;

const CUT_NOTE = "\n\n… (cut: GitHub takes at most 65,536 characters per comment)";

/**
 * A comment body GitHub accepts (pure): cut at a line break when longer than
 * GitHub's limit, saying so, so that a long reply (a cancel report of hundreds of
 * jobs) is posted shortened instead of refused.
 */
export function fitComment(body: string, maxChars: number = MAX_COMMENT_CHARS): string {
  if (body.length <= maxChars) return body;
  const room = body.slice(0, maxChars - CUT_NOTE.length);
  const lineEnd = room.lastIndexOf("\n");
  return `${lineEnd > 0 ? room.slice(0, lineEnd) : room}${CUT_NOTE}`;
}

/** Where a reply goes: a pull request (or issue) of a repository. */
export interface ReplyTarget {
  owner: string;
  repo: string;
  issueNumber: number;
}

/**
 * The hidden marker of one reply of the app: to command `part` of comment
 * `commentId`. A retried task finds its earlier reply by it instead of posting a
 * second (pure).
 */
export function replyMarker(commentId: number, part: number | string): string {
  return `<!-- packit-probot reply to ${commentId}/${part} -->`;
}

/** The markers of the app's replies already on a pull request (one paginated listing). */
export async function postedMarkers(github: Pick<GitHub, "paginate" | "rest">, to: ReplyTarget): Promise<Set<string>> {
  const comments = await github.paginate(github.rest.issues.listComments, {
    owner: to.owner,
    repo: to.repo,
    issue_number: to.issueNumber,
    per_page: 100,
  });
  const out = new Set<string>();
  for (const c of comments) for (const m of (c.body ?? "").matchAll(/<!-- packit-probot reply to [^>]* -->/g)) out.add(m[0]);
  return out;
}

/**
 * Post `body` ending with `marker` (room is kept for it when the body is cut),
 * unless `posted` — the markers already on the pull request, when the caller may
 * be a retry — has it. Returns whether it posted.
 */
export async function replyOnce(
  github: Pick<GitHub, "rest">,
  to: ReplyTarget,
  marker: string,
  body: string,
  posted?: ReadonlySet<string>,
): Promise<boolean> {
  if (posted?.has(marker)) return false;
  const text = `${fitComment(body, MAX_COMMENT_CHARS - marker.length - 2)}\n\n${marker}`;
  await github.rest.issues.createComment({ owner: to.owner, repo: to.repo, issue_number: to.issueNumber, body: text });
  return true;
}
