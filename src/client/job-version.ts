/**
 * Which Worker Deployment version a job's workflow runs on, from the search attributes the server
 * keeps for every versioned run (describe and list both return them, so visibility answers too).
 */
import {
  defineSearchAttributeKey,
  SearchAttributeType,
  type TypedSearchAttributes,
} from '@temporalio/common';

const DEPLOYMENT_VERSION = defineSearchAttributeKey(
  'TemporalWorkerDeploymentVersion',
  SearchAttributeType.KEYWORD,
);
const VERSIONING_BEHAVIOR = defineSearchAttributeKey(
  'TemporalWorkflowVersioningBehavior',
  SearchAttributeType.KEYWORD,
);

/**
 * `deployment:buildId (Pinned)` as the server names it (`temporal workflow list --query
 * "TemporalWorkerDeploymentVersion='…'"` finds the same runs); null for an unversioned run or one
 * no worker has run yet.
 */
export function jobVersionOf(attributes: TypedSearchAttributes): string | null {
  const version = attributes.get(DEPLOYMENT_VERSION);
  if (!version) return null;
  const behavior = attributes.get(VERSIONING_BEHAVIOR);
  return behavior ? `${version} (${behavior})` : version;
}

/** A poller of a task queue as describeTaskQueue lists it: the version it polls as, if any. */
export interface PollerVersion {
  deploymentOptions?: {
    deploymentName?: string | null;
    buildId?: string | null;
    workerVersioningMode?: number | null;
  } | null;
}

/** The task queue's current version as describeTaskQueue reports it. */
export interface CurrentVersion {
  deploymentName?: string | null;
  buildId?: string | null;
}

// temporal.api.enums.v1.WorkerVersioningMode
const VERSIONED = 2;

/**
 * Why no worker takes a queue's tasks although some poll it: every poller runs a version that is not
 * the current one, so the server routes nothing to them (a first version nobody promoted, or a new
 * one beside a current version whose workers are gone). Null when some poller can take work, or
 * when the pollers do not say their versions. The command is the one that promotes the version.
 */
export function notCurrentPollersReason(
  taskQueue: string,
  pollers: readonly PollerVersion[],
  current: CurrentVersion | null | undefined,
): string | null {
  const versions = new Map<string, { deploymentName: string; buildId: string }>();
  for (const poller of pollers) {
    const options = poller.deploymentOptions;
    if (options?.workerVersioningMode !== VERSIONED || !options.deploymentName || !options.buildId)
      return null;
    if (current?.buildId === options.buildId && current.deploymentName === options.deploymentName)
      return null;
    const { deploymentName, buildId } = options;
    versions.set(`${deploymentName}.${buildId}`, { deploymentName, buildId });
  }
  const [first, ...more] = [...versions.values()];
  if (!first) return null;
  const n = pollers.length;
  const names = [...versions.keys()].join(', ');
  const currentText = current?.buildId
    ? `the current version is ${current.deploymentName}.${current.buildId}, which no worker polls`
    : `deployment ${first.deploymentName} has no current version`;
  const command = `temporal worker deployment set-current-version --deployment-name ${first.deploymentName} --build-id ${first.buildId} --yes`;
  return (
    `the only worker${n === 1 ? '' : 's'} polling task queue ${taskQueue} ${n === 1 ? 'runs' : 'run'} ` +
    `version${more.length > 0 ? 's' : ''} ${names}, which ${more.length > 0 ? 'are' : 'is'} not current ` +
    `(${currentText}), so none takes the job: make ${more.length > 0 ? 'one' : 'it'} current with ${command}`
  );
}
