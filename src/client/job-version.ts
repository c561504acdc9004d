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
