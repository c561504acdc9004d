/**
 * The starter's exit codes and their one-paragraph summary: imported by the argument parser, which
 * answers `--help` and usage errors before the Temporal client is loaded, so nothing heavy here.
 */
/** The one exit-code table (README "Exit codes and error types"); `exitCodeFor` maps every error type onto it. */
export const ExitCode = {
  ok: 0,
  /** TDG reported the job FAILED (its batch list is still printed). */
  jobFailed: 1,
  /** Usage, configuration or an invalid job request: fix the command or the environment. */
  usage: 2,
  /** Refused, or the job ended otherwise (deadline, cancelled, permission, already ended, …). */
  refused: 3,
  notFound: 4,
  /** Temporal did not answer: a connection failure, nothing else. */
  unreachable: 5,
  /** A bug or an answer we did not expect: not to be mistaken for an unreachable Temporal. */
  unexpected: 6,
  /** The namespace does not exist or lacks the search attributes: `npm run setup` / an admin. */
  setup: 7,
  /** A bounded wait ran out: no worker answered (the message says whether any polls the task queue). */
  noWorker: 8,
} as const;

/** Error types the CLI raises itself, besides the client's `JobErrorType`s. */
export const CliErrorType = { UsageError: 'UsageError' } as const;

/** Exit codes as `--help` and the README list them. */
export const EXIT_CODE_LINES = `exit codes: 0 completed (or started), 1 job FAILED at TDG,
  2 usage, configuration or invalid job request (UsageError, InvalidConfig, InvalidJobRequest, TlsRefused),
  3 refused or ended otherwise (CheckRefused, CancelRefused, WorkflowClosed, JobDeadlineExceeded, JobCancelled, NotPermitted, …),
  4 workflow not found, 5 Temporal unreachable (connection failure only), 6 unexpected error,
  7 namespace or search attributes missing (NamespaceNotFound, SetupRequired),
  8 no worker answered in time (WorkerUnavailable)`;
