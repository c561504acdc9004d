/** The starter CLI (`npm run job`) and the search-attribute setup (`npm run setup`). */
export { main } from './main.js';
export { main as setupMain } from './search-attributes.js';
export { describeStatusLine, outcomeOf, printOutcome } from './output.js';
