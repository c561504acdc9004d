/**
 * `npm run docs:check`: every command block of README.md and docs/*.md is checked statically, and
 * every block that shows output is run against a dev stack of its own and compared (ids, times,
 * durations, hashes and ports normalised). `--write` puts the new output into the pages instead.
 */
import { readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { PROJECT_ROOT } from '../../src/platform/project-root.js';
import { startDevStackProcess } from '../stack/dev-stack-process.js';
import { extractBlocks, renderSteps, replaceBodies, type CommandBlock } from './blocks.js';
import { isElision, lineDiff, normaliseLine, withElision } from './normalise.js';
import { projectFacts } from './project-facts.js';
import { runBlock, type StepResult } from './run.js';
import { checkBlocks } from './static-check.js';

export { extractBlocks, parseSteps, renderSteps } from './blocks.js';
export { normaliseLine, matches, withElision, lineDiff } from './normalise.js';
export { checkCommand, checkBlocks, TEMPORAL_CLI_PATH, type ProjectFacts } from './static-check.js';
export { projectFacts, knownEnvNames } from './project-facts.js';

export interface CheckOptions {
  /** Put each run's output into the pages instead of failing on a difference. */
  write: boolean;
  /** Static checks only: no dev stack, nothing run. */
  staticOnly: boolean;
  /** Pages relative to the project root; default README.md and docs/*.md. */
  files: string[];
  say: (line: string) => void;
}

export function documentedPages(): string[] {
  const docs = readdirSync(join(PROJECT_ROOT, 'docs'))
    .filter((name) => name.endsWith('.md'))
    .sort()
    .map((name) => `docs/${name}`);
  return ['README.md', ...docs];
}

interface Page {
  file: string;
  text: string;
  blocks: CommandBlock[];
}

/** Reads the pages and checks them statically: the problems, as lines for a person. */
export function staticProblems(pages: readonly Page[], problems: string[] = []): string[] {
  const facts = projectFacts();
  for (const page of pages) {
    for (const problem of extractBlocks(page.file, page.text).problems)
      problems.push(`${problem.file}:${problem.line}: ${problem.message}`);
    for (const problem of checkBlocks(page.blocks, facts))
      problems.push(`${problem.file}:${problem.line}: ${problem.message}`);
  }
  return problems;
}

export function readPages(files: readonly string[]): Page[] {
  return files.map((file) => {
    const text = readFileSync(join(PROJECT_ROOT, file), 'utf8');
    return { file, text, blocks: extractBlocks(file, text).blocks };
  });
}

function describeFailure(result: StepResult, block: CommandBlock): string[] {
  const expected = result.step.expected.map((line) => (isElision(line) ? line : normaliseLine(line)));
  const actual = result.actual.map(normaliseLine);
  return [
    `${block.file}:${block.line}: $ ${result.step.command.split('\n').join(' ')}`,
    '  (- the page, + this run; ids, times, durations and hashes as <placeholders>)',
    ...lineDiff(expected, actual).map((line) => `  ${line}`),
  ];
}

/** The whole check; the exit code (0: the pages are true, 1: not, or a problem). */
export async function checkDocs(options: CheckOptions): Promise<number> {
  const { say } = options;
  const started = Date.now();
  const pages = readPages(options.files);
  const problems = staticProblems(pages);
  const blocks = pages.flatMap((page) => page.blocks);
  const runBlocks = blocks.filter((block) => block.kind === 'run');
  say(
    `${blocks.length} command blocks in ${pages.length} pages: ${runBlocks.length} run, ${blocks.length - runBlocks.length} static`,
  );
  for (const problem of problems) say(problem);
  if (options.staticOnly || runBlocks.length === 0) return problems.length > 0 ? 1 : 0;

  say('starting a dev stack (a dev server on a free port, npm run dev) …');
  const stack = await startDevStackProcess({ env: { npm_config_loglevel: 'silent' } });
  // npm's banner (`> pkg@version script`) is npm's, not the command's: the pages show what `npm run
  // -s` prints, and so does this shell.
  const env = { ...stack.env, npm_config_loglevel: 'silent' };
  say(`dev stack up in ${((Date.now() - started) / 1000).toFixed(1)}s; running the blocks in page order`);
  let differences = 0;
  try {
    for (const page of pages) {
      const ran: { block: CommandBlock; results: StepResult[] }[] = [];
      let pageDiffers = false;
      for (const block of page.blocks.filter((b) => b.kind === 'run')) {
        const results = await runBlock(block, env);
        ran.push({ block, results });
        const failed = results.filter((r) => !r.ok);
        say(
          `${block.file}:${block.line}: ${results.length} commands, ${failed.length === 0 ? 'as shown' : `${failed.length} differ`} (${(results.reduce((ms, r) => ms + r.ms, 0) / 1000).toFixed(1)}s)`,
        );
        if (failed.length === 0) continue;
        pageDiffers = true;
        differences += failed.length;
        for (const result of failed) for (const line of describeFailure(result, block)) say(line);
      }
      // A page is rewritten whole from one run, so an id it shows in two blocks is one id.
      const replacements = pageDiffers
        ? ran.map(({ block, results }) => ({
            block,
            body: renderSteps(
              block.steps,
              results.map((r) => withElision(r.step.expected, r.actual)),
            ),
          }))
        : [];
      if (options.write && replacements.length > 0) {
        writeFileSync(join(PROJECT_ROOT, page.file), replaceBodies(page.text, replacements));
        say(`${page.file}: ${replacements.length} blocks rewritten from this run`);
      }
    }
  } catch (err) {
    say(`npm run dev's output:\n${stack.log().slice(-3000)}`);
    throw err;
  } finally {
    await stack.stop();
  }
  say(`done in ${((Date.now() - started) / 1000).toFixed(1)}s`);
  if (differences > 0 && !options.write)
    say(
      `${differences} commands print other than their pages show: fix the page or the code (--write takes this run's output)`,
    );
  return problems.length > 0 || (differences > 0 && !options.write) ? 1 : 0;
}

export const relativeToRoot = (path: string): string => relative(PROJECT_ROOT, join(process.cwd(), path));
