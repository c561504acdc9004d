/**
 * `node dist/src/bin/certificates.js --dir <folder> --ca-dir <folder>`: the production stacks'
 * first step (compose's tls-certificates job, `npm run cluster`), making sure every component has
 * a valid certificate before anything starts. Exit 0 when the folders are ready, 2 for a usage
 * mistake, 1 when they cannot be written.
 */
import { parseArgs } from 'node:util';
import { ensureCertificates } from './certificates.js';

const USAGE = `usage: certificates --dir <folder> --ca-dir <folder>

Creates (first run) or renews (when due) the private CA in --ca-dir and a short-lived
certificate per component in --dir; prints what it did. Nothing is rewritten when nothing is due.`;

export async function certificatesMain(
  argv: string[],
  say = (line: string) => console.log(line),
  complain = (line: string) => console.error(line),
): Promise<number> {
  let values: { dir?: string; 'ca-dir'?: string; help?: boolean };
  try {
    ({ values } = parseArgs({
      args: argv,
      options: {
        dir: { type: 'string' },
        'ca-dir': { type: 'string' },
        help: { type: 'boolean', short: 'h' },
      },
      strict: true,
      allowPositionals: false,
    }));
  } catch (error) {
    complain(`certificates: ${(error as Error).message}\n${USAGE}`);
    return 2;
  }
  if (values.help) {
    say(USAGE);
    return 0;
  }
  if (!values.dir || !values['ca-dir']) {
    complain(`certificates: --dir and --ca-dir are required\n${USAGE}`);
    return 2;
  }
  const result = await ensureCertificates({ dir: values.dir, caDir: values['ca-dir'] });
  if (result.newCa) say(`certificates: new private CA in ${values['ca-dir']}`);
  if (result.issued.length > 0) say(`certificates: issued ${result.issued.join(', ')}`);
  if (result.kept.length > 0) say(`certificates: still valid ${result.kept.join(', ')}`);
  say(
    `certificates: the earliest expires ${result.leavesExpire.toISOString()}; the next start renews what is due`,
  );
  return 0;
}
