#!/usr/bin/env node
import { runMain } from '../platform/process.js';
import { setupMain } from '../cli/index.js';

runMain('setup', () => setupMain());
