import { runMain } from '../platform/process.js';
import { main } from '../dev/index.js';

runMain('dev', () => main(process.argv.includes('--once')));
