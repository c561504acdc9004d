import { runMain } from '../../src/platform/process.js';
import { checkKubernetes } from '../kubernetes/index.js';

runMain('check:kubernetes', () => {
  const started = Date.now();
  const report = checkKubernetes({
    write: process.argv.includes('--write'),
    log: (line) => console.log(line),
  });
  for (const overlay of report.overlays) {
    const kinds = [...overlay.kinds].map(([kind, count]) => `${kind} ×${count}`).join(', ');
    console.log(`${overlay.name}: ${kinds}`);
  }
  for (const problem of report.problems) console.error(problem);
  console.log(
    `check:kubernetes ${report.problems.length === 0 ? 'passed' : 'FAILED'} in ${Date.now() - started} ms`,
  );
  return Promise.resolve(report.problems.length === 0 ? 0 : 1);
});
