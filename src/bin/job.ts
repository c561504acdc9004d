#!/usr/bin/env node
import { runMain } from '../platform/process.js';
import { main } from '../cli/index.js';

runMain('job', () => main());
