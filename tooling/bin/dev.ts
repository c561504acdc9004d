import { runMain } from '../../src/platform/process.js';
import { main } from '../stack/index.js';

runMain('dev', () => main(process.argv.includes('--once')));
