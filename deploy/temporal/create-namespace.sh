#!/bin/sh
# Waits for the Temporal frontend, then creates the namespace and registers the search
# attributes the workflow publishes (name:type). Idempotent: run by
# docker compose on every `up`, it only adds what is missing.
set -eu

: "${TEMPORAL_ADDRESS:?TEMPORAL_ADDRESS is required}"
NAMESPACE="${TEMPORAL_NAMESPACE:-default}"
RETENTION="${TEMPORAL_NAMESPACE_RETENTION:-7d}"
SEARCH_ATTRIBUTES="TdgJobId:Keyword TdgJobState:Keyword TdgPossibleDuplicate:Bool"

echo "waiting for Temporal at $TEMPORAL_ADDRESS"
tries=0
until temporal operator cluster health --address "$TEMPORAL_ADDRESS" 2>/dev/null | grep -q SERVING; do
  tries=$((tries + 1))
  if [ "$tries" -ge 90 ]; then
    echo "Temporal did not become healthy in time" >&2
    exit 1
  fi
  sleep 2
done

if temporal operator namespace describe --address "$TEMPORAL_ADDRESS" --namespace "$NAMESPACE" >/dev/null 2>&1; then
  echo "namespace $NAMESPACE exists"
else
  temporal operator namespace create --address "$TEMPORAL_ADDRESS" --namespace "$NAMESPACE" --retention "$RETENTION"
  echo "namespace $NAMESPACE created (retention $RETENTION)"
fi

# A new namespace takes a moment to reach every service: retry until the attributes are listed.
for spec in $SEARCH_ATTRIBUTES; do
  name="${spec%%:*}"
  type="${spec#*:}"
  tries=0
  until temporal operator search-attribute list --address "$TEMPORAL_ADDRESS" --namespace "$NAMESPACE" | grep -qw "$name"; do
    tries=$((tries + 1))
    if [ "$tries" -ge 30 ]; then
      echo "could not register search attribute $name" >&2
      exit 1
    fi
    temporal operator search-attribute create --address "$TEMPORAL_ADDRESS" --namespace "$NAMESPACE" \
      --name "$name" --type "$type" || sleep 2
  done
  echo "search attribute $name ($type) registered"
done

# Our Nexus endpoint (docs/nexus.md), routed to this namespace and the workers' task queue
# (NEXUS_ENDPOINT=off: none), and the namespaces other teams' calling workflows run in here.
ENDPOINT="${NEXUS_ENDPOINT:-tdg-email-append}"
TASK_QUEUE="${TEMPORAL_TASK_QUEUE:-tdg-email-append}"
if [ "$ENDPOINT" != off ]; then
  if temporal operator nexus endpoint get --address "$TEMPORAL_ADDRESS" --name "$ENDPOINT" >/dev/null 2>&1; then
    verb=update
  else
    verb=create
  fi
  temporal operator nexus endpoint "$verb" --address "$TEMPORAL_ADDRESS" --name "$ENDPOINT" \
    --target-namespace "$NAMESPACE" --target-task-queue "$TASK_QUEUE" >/dev/null
  echo "Nexus endpoint $ENDPOINT → namespace $NAMESPACE, task queue $TASK_QUEUE (${verb}d)"
fi
for caller in ${NEXUS_CALLER_NAMESPACES:-}; do
  if ! temporal operator namespace describe --address "$TEMPORAL_ADDRESS" --namespace "$caller" >/dev/null 2>&1; then
    temporal operator namespace create --address "$TEMPORAL_ADDRESS" --namespace "$caller" --retention "$RETENTION"
  fi
  echo "callers' namespace $caller exists"
done
