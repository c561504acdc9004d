/** An error that becomes a `{"error": message}` JSON answer with this status. */
export class ApiError extends Error {
  override readonly name = 'ApiError';
  constructor(
    readonly statusCode: number,
    message: string,
  ) {
    super(message);
  }
}

export function isJsonContentType(header: string | undefined): boolean {
  return header?.split(';')[0]?.trim().toLowerCase() === 'application/json';
}

/** Status of anything thrown inside fastify's lifecycle: its own errors carry `statusCode`. */
export function statusCodeOf(error: unknown): number {
  if (typeof error === 'object' && error !== null && 'statusCode' in error) {
    const status = error.statusCode;
    if (typeof status === 'number' && Number.isInteger(status) && status >= 400 && status <= 599)
      return status;
  }
  return 500;
}

export function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
