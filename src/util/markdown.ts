/**
 * Text the app did not write (a comment, a config's identifier) quoted in its own
 * markdown, as one inline code span (pure): without backticks and line breaks, so
 * that it cannot close the span and turn into markdown — an `@team` mention the app
 * would post — and cut to `max` characters.
 */
export function inlineCode(text: string, max = 60): string {
  const clean = text.replace(/[`\r\n]+/g, " ").trim();
  return `\`${clean.length > max ? `${clean.slice(0, max)}…` : clean}\``;
}
