import { runMain } from '../../src/platform/process.js';
import { main } from '../cluster/cli.js';

runMain('cluster', () => main(process.argv.slice(2)));
