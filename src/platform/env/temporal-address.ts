/**
 * The shape of a Temporal gRPC address, checked with the configuration: a malformed one is the
 * operator's typo (exit 2, the variable named), not an unreachable server (exit 5) — the SDK would
 * only refuse it when connecting, as if the network had failed.
 */

// A DNS name or IPv4 address (labels of letters, digits, "-"; "_" as container names have it), or
// a bracketed IPv6 address; then an optional port.
const HOST =
  /^(?:\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9_](?:[A-Za-z0-9_-]*[A-Za-z0-9_])?(?:\.[A-Za-z0-9_](?:[A-Za-z0-9_-]*[A-Za-z0-9_])?)*\.?)$/;

/** Why `address` is not `host` or `host:port`, or null when it is. */
export function temporalAddressProblem(address: string): string | null {
  const expected = `must be host:port (e.g. localhost:7233 or temporal.example.com:7233, no scheme), got "${address}"`;
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(address)) return expected;
  const [, host = '', port] = /^(.*?)(?::(\d+))?$/.exec(address) ?? [];
  if (!HOST.test(host)) return expected;
  if (port !== undefined && !(port.length <= 5 && Number(port) >= 1 && Number(port) <= 65_535))
    return expected;
  return null;
}
