/** GitHub refuses an issue or pull request comment longer than this ("Body cannot be more than 65536 characters"). */
export const MAX_COMMENT_CHARS = 65_536;

const CUT_NOTE = "\n\n… (cut: GitHub takes at most 65,536 characters per comment)";

/**
 * A comment body GitHub accepts (pure): cut at a line break when longer than
 * GitHub's limit, saying so, so that a long reply (a cancel report of hundreds of
 * jobs) is posted shortened instead of refused.
 */
export function fitComment(body: string): string {
  if (body.length <= MAX_COMMENT_CHARS) return body;
  const room = body.slice(0, MAX_COMMENT_CHARS - CUT_NOTE.length);
  const lineEnd = room.lastIndexOf("\n");
  return `${lineEnd > 0 ? room.slice(0, lineEnd) : room}${CUT_NOTE}`;
}
