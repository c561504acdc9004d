/** Hosts in URLs: which count as this machine, and the URL local clients use for a listening server. */
import type { AddressInfo } from 'node:net';

/** Where an HTTP server listens: 0 picks a free port. */
export interface ListenOptions {
  port: number;
  host: string;
}

/** localhost, 127.0.0.0/8 and ::1 (bracketed or not): plain http is acceptable there. */
export function isLoopbackHost(hostname: string): boolean {
  const host = hostname.toLowerCase();
  return host === 'localhost' || host === '[::1]' || host === '::1' || host.startsWith('127.');
}

/** `http://host:port` for a listening server; a wildcard bind is reached on loopback. */
export function localUrl(address: AddressInfo): string {
  const host =
    address.address === '0.0.0.0'
      ? '127.0.0.1'
      : address.address === '::'
        ? '[::1]'
        : address.family === 'IPv6'
          ? `[${address.address}]`
          : address.address;
  return `http://${host}:${address.port}`;
}
