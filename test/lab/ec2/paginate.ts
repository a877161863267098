// MaxResults/NextToken paging for Describe* calls: keyset pages over ids, so every item comes back exactly once.
import { ec2Errors } from './errors.ts';

export interface PageRequest {
  /** Explicit ids in the request (MaxResults cannot be combined with them). */
  idCount: number;
  idParam: string;
  maxResults?: number;
  nextToken?: string;
}

export interface Page<T> {
  items: T[];
  nextToken?: string;
}

const MIN_RESULTS = 5;
const MAX_RESULTS = 1000;

export function validatePageRequest({ idCount, idParam, maxResults }: PageRequest): void {
  if (maxResults === undefined) return;
  if (idCount > 0) {
    throw ec2Errors.invalidCombination(
      `The parameter ${idParam} cannot be used with the parameter maxResults`,
    );
  }
  if (maxResults < MIN_RESULTS || maxResults > MAX_RESULTS) {
    throw ec2Errors.invalidValue(
      `Value ( ${maxResults} ) for parameter maxResults is invalid. Parameter must be between ${MIN_RESULTS} and ${MAX_RESULTS}.`,
    );
  }
}

/** An opaque page token naming the last key handed out (the next page starts after it). */
export const encodePageToken = (lastKey: string): string =>
  Buffer.from(JSON.stringify({ after: lastKey })).toString('base64');

/** The key a token from `encodePageToken` names; anything else throws the API's error (EC2's by default). */
export function decodePageToken(
  token: string,
  invalid: (token: string) => Error = ec2Errors.invalidPaginationToken,
): string {
  try {
    const decoded: unknown = JSON.parse(Buffer.from(token, 'base64').toString('utf8'));
    if (decoded && typeof decoded === 'object' && 'after' in decoded && typeof decoded.after === 'string') {
      return decoded.after;
    }
  } catch {
    // fall through to the error below
  }
  throw invalid(token);
}

/** Items ordered by key; a page starts after the key the token names. */
export function paginate<T>(items: readonly T[], keyOf: (item: T) => string, request: PageRequest): Page<T> {
  validatePageRequest(request);
  const sorted = [...items].sort((a, b) => (keyOf(a) < keyOf(b) ? -1 : keyOf(a) > keyOf(b) ? 1 : 0));
  const after = request.nextToken ? decodePageToken(request.nextToken) : undefined;
  const remaining = after === undefined ? sorted : sorted.filter((item) => keyOf(item) > after);
  const limit = request.maxResults ?? remaining.length;
  const page = remaining.slice(0, limit);
  const last = page.at(-1);
  const nextToken = remaining.length > limit && last !== undefined ? encodePageToken(keyOf(last)) : undefined;
  return { items: page, nextToken };
}
