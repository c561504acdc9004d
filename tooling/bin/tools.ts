import { runMain } from '../../src/platform/process.js';
import { provisionTools } from '../stack/index.js';

runMain('tools', () => Promise.resolve(provisionTools()));
