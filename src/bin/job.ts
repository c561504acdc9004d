#!/usr/bin/env node
import { runMain } from '../platform/process.js';
// Not the folder's index: its re-exports load the Temporal client, and `--help` must not wait for it.
import { main } from '../cli/main.js';

runMain('job', () => main());
