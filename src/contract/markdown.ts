/**
 * Text from outside (TDG's state, error messages, job names) must not turn into markdown or HTML in
 * the Web UI; the workflow's details and the starter's static details both escape it this way.
 */
export function escapeMarkdown(text: string): string {
  return (
    text
      .replace(/\s+/g, ' ')
      .replace(/[\\`*{}[\]<>|~]/g, (c) => `\\${c}`)
      // An underscore inside a word (IN_PROGRESS) is never emphasis: keep the raw text readable.
      .replace(/(?<![A-Za-z0-9])_|_(?![A-Za-z0-9])/g, '\\_')
  );
}
