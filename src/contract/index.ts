/** The workflow-safe definitions every side shares: the only part of `src/` that workflows and activities import. */
export * from './definitions.js';
export * from './duration.js';
export * from './markdown.js';
export * from './job-input.js';
export * from './tdg-failures.js';
export * from './priority.js';
