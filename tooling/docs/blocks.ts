/**
 * The command blocks of a markdown page and what the docs check does with each (pure: text in,
 * blocks out). The convention (docs/development.md "Docs that cannot drift"):
 *
 * - a ```text block whose lines start with `$ ` shows commands and their output: `npm run
 *   docs:check` runs it and compares the output (a line that is only `…` stands for any lines);
 * - `<!-- docs:static REASON -->` right before a block: it cannot run here (docker compose,
 *   Kubernetes, Temporal Cloud, a terminal's screen); it is only checked statically;
 * - a ```sh block lists commands without output: it must carry `docs:static` too, so every shell
 *   block says which kind it is.
 *
 * Every shell block, run or not, is checked statically (static-check.ts).
 */

export type BlockKind = 'run' | 'static';

export interface Step {
  /** The command as the shell runs it (continuation lines joined). */
  command: string;
  /** The command's lines as written, `$ ` included. */
  commandLines: string[];
  /** The output the page shows for it. */
  expected: string[];
  /** Blank lines after the output: layout, not output. */
  blankAfter: number;
}

export interface CommandBlock {
  file: string;
  /** 1-based line of the opening fence. */
  line: number;
  lang: string;
  kind: BlockKind;
  /** `docs:static`'s reason. */
  reason?: string;
  /** The fence's indentation (a block inside a list item), taken off the body's lines. */
  indent: string;
  /** The lines between the fences, without the fence's indentation. */
  body: string[];
  /** Index in the page's lines of the first body line, and how many lines the body has. */
  bodyStart: number;
  /** Commands: each shell line of a static block, each `$ ` line of a run block. */
  commands: string[];
  /** A run block's steps (empty for a static one). */
  steps: Step[];
}

export interface BlockProblem {
  file: string;
  line: number;
  message: string;
}

const SHELL_LANGS = new Set(['sh', 'bash', 'shell', 'console']);
const MARKER = /^<!--\s*docs:(static|run)\b\s*([\s\S]*?)\s*-->$/;
const PROMPT = '$ ';

/** The marker comment that ends just before line `index` (blank lines between allowed). */
function markerBefore(lines: readonly string[], index: number): { kind: BlockKind; reason: string } | null {
  let end = index - 1;
  while (end >= 0 && (lines[end] ?? '').trim() === '') end--;
  if (end < 0 || !(lines[end] ?? '').trim().endsWith('-->')) return null;
  let start = end;
  while (start > 0 && !(lines[start] ?? '').includes('<!--')) start--;
  const comment = lines
    .slice(start, end + 1)
    .join('\n')
    .trim();
  const match = MARKER.exec(comment);
  if (!match) return null;
  return { kind: match[1] === 'static' ? 'static' : 'run', reason: (match[2] ?? '').replace(/\s+/g, ' ') };
}

/** Joins `\`-continued lines: one entry per command, `#` comments left in. */
function joinContinuations(lines: readonly string[]): { command: string; lines: string[] }[] {
  const commands: { command: string; lines: string[] }[] = [];
  let current: { command: string; lines: string[] } | null = null;
  for (const line of lines) {
    if (current) {
      current.lines.push(line);
      current.command += `\n${line}`;
    } else current = { command: line, lines: [line] };
    if (!/\\$/.test(line)) {
      commands.push(current);
      current = null;
    }
  }
  if (current) commands.push(current);
  return commands;
}

/** A run block's steps: each `$ ` command, the output lines under it, then blank lines. */
export function parseSteps(body: readonly string[]): Step[] {
  const steps: Step[] = [];
  let i = 0;
  while (i < body.length && !(body[i] ?? '').startsWith(PROMPT)) i++;
  while (i < body.length) {
    const commandLines: string[] = [body[i] ?? ''];
    while (/\\$/.test(commandLines.at(-1) ?? '') && i + 1 < body.length) commandLines.push(body[++i] ?? '');
    i++;
    const output: string[] = [];
    while (i < body.length && !(body[i] ?? '').startsWith(PROMPT)) output.push(body[i++] ?? '');
    let blankAfter = 0;
    while (output.length > 0 && (output.at(-1) ?? '').trim() === '') {
      output.pop();
      blankAfter++;
    }
    steps.push({
      command: commandLines.join('\n').slice(PROMPT.length),
      commandLines,
      expected: output,
      blankAfter,
    });
  }
  return steps;
}

/** A run block's body again, each step's output as given (`outputs[i]`, else as the page has it). */
export function renderSteps(steps: readonly Step[], outputs: readonly (string[] | null)[] = []): string[] {
  return steps.flatMap((step, i) => [
    ...step.commandLines,
    ...(outputs[i] ?? step.expected),
    ...Array.from({ length: step.blankAfter }, () => ''),
  ]);
}

/** Every shell block of a page, classified; problems for blocks that break the convention. */
export function extractBlocks(
  file: string,
  text: string,
): { blocks: CommandBlock[]; problems: BlockProblem[] } {
  const lines = text.split('\n');
  const blocks: CommandBlock[] = [];
  const problems: BlockProblem[] = [];
  for (let i = 0; i < lines.length; i++) {
    const open = /^(\s*)```(\S*)\s*$/.exec(lines[i] ?? '');
    if (!open) continue;
    const fence = i;
    let close = i + 1;
    while (close < lines.length && !/^\s*```\s*$/.test(lines[close] ?? '')) close++;
    i = close;
    const lang = open[2] ?? '';
    const indent = open[1] ?? '';
    const body = lines
      .slice(fence + 1, close)
      .map((line) => (line.startsWith(indent) ? line.slice(indent.length) : line.trimStart()));
    const hasPrompt = body.some((line) => line.startsWith(PROMPT));
    const shell = SHELL_LANGS.has(lang) || (lang === 'text' && hasPrompt);
    const marker = markerBefore(lines, fence);
    const at = { file, line: fence + 1 };
    if (!shell) {
      if (marker)
        problems.push({
          ...at,
          message: `docs:${marker.kind} marks a \`\`\`${lang} block, not a shell block`,
        });
      continue;
    }
    let kind: BlockKind;
    if (marker?.kind === 'static') {
      kind = 'static';
      if (marker.reason === '')
        problems.push({ ...at, message: 'docs:static needs a reason: why it cannot run here' });
    } else if (lang === 'text' && hasPrompt) kind = 'run';
    else {
      problems.push({
        ...at,
        message:
          'a shell block either shows its output (```text with `$ ` lines: docs:check runs it) or is marked <!-- docs:static REASON -->',
      });
      // Still checked statically, so one run reports everything.
      kind = 'static';
    }
    const steps = kind === 'run' ? parseSteps(body) : [];
    const commands =
      kind === 'run'
        ? steps.map((step) => step.command)
        : hasPrompt
          ? parseSteps(body).map((step) => step.command)
          : joinContinuations(body).map((entry) => entry.command);
    blocks.push({
      ...at,
      lang,
      kind,
      indent,
      ...(marker?.kind === 'static' ? { reason: marker.reason } : {}),
      body,
      bodyStart: fence + 1,
      commands,
      steps,
    });
  }
  return { blocks, problems };
}

/** The page with the given blocks' bodies replaced (each `bodies[i]` for `blocks[i]`). */
export function replaceBodies(
  text: string,
  replacements: readonly { block: CommandBlock; body: string[] }[],
): string {
  const lines = text.split('\n');
  // From the end, so earlier indices stay valid.
  const ordered = [...replacements].sort((a, b) => b.block.bodyStart - a.block.bodyStart);
  for (const { block, body } of ordered)
    lines.splice(
      block.bodyStart,
      block.body.length,
      ...body.map((line) => (line === '' ? line : `${block.indent}${line}`)),
    );
  return lines.join('\n');
}
