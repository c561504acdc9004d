/** The starter CLI (`npm run job`) and the search-attribute setup (`npm run setup`). */
export { main } from './starter.js';
export { main as setupMain } from './search-attributes.js';
export { printOutcome } from './output.js';
export { startJob, followJob, describeStatusLine } from './job-commands.js';
