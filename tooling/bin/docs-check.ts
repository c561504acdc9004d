import { parseArgs } from 'node:util';
import { runMain } from '../../src/platform/process.js';
import { checkDocs, documentedPages, relativeToRoot } from '../docs/index.js';

const USAGE = `usage: npm run docs:check [-- --write] [--static] [PAGE.md …]
  runs every command block of README.md and docs/*.md that shows output against a dev stack of
  its own and compares the output (ids, times, durations, hashes normalised); checks every
  command block statically (npm scripts, the starter's commands and flags, environment variables)
  --write   put this run's output into the pages where it differs
  --static  the static checks only (no dev stack)
exit codes: 0 the pages are true, 1 a difference or a problem, 2 usage`;

runMain('docs:check', async () => {
  let parsed;
  try {
    parsed = parseArgs({
      allowPositionals: true,
      options: {
        write: { type: 'boolean', default: false },
        static: { type: 'boolean', default: false },
        help: { type: 'boolean', short: 'h', default: false },
      },
    });
  } catch (err) {
    process.stderr.write(`error: ${(err as Error).message}\n${USAGE}\n`);
    return 2;
  }
  if (parsed.values.help) {
    process.stdout.write(`${USAGE}\n`);
    return 0;
  }
  return checkDocs({
    write: parsed.values.write,
    staticOnly: parsed.values.static,
    files: parsed.positionals.length > 0 ? parsed.positionals.map(relativeToRoot) : documentedPages(),
    say: (line) => void process.stdout.write(`${line}\n`),
  });
});
