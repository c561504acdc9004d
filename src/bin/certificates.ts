#!/usr/bin/env node
import { runMain } from '../platform/process.js';
import { certificatesMain } from '../security/certificates-main.js';

runMain('certificates', () => certificatesMain(process.argv.slice(2)));
