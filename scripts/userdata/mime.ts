// Writes a MIME multipart/mixed document the way cloud-init and nodeadm read EC2 userdata (LF line ends, 7bit/8bit parts).
import { createHash } from 'node:crypto';

export interface MimePart {
  contentType: string;
  /** cloud-init names a shell part's file after this, and runs the scripts in the order of these names. */
  filename?: string;
  body: string;
}

// biome-ignore lint/suspicious/noControlCharactersInRegex: the point is to find bytes outside 7-bit ASCII
const NON_ASCII = /[^\x00-\x7f]/;

function partHeaders(p: MimePart): string[] {
  const ascii = !NON_ASCII.test(p.body);
  const textual = p.contentType.startsWith('text/');
  return [
    `Content-Type: ${p.contentType}${textual ? `; charset="${ascii ? 'us-ascii' : 'utf-8'}"` : ''}`,
    'MIME-Version: 1.0',
    `Content-Transfer-Encoding: ${ascii ? '7bit' : '8bit'}`,
    ...(p.filename ? [`Content-Disposition: attachment; filename="${p.filename}"`] : []),
  ];
}

/** The boundary is derived from the content (same input, same bytes) and checked not to occur in any part. */
export function multipart(parts: readonly MimePart[]): string {
  const digest = createHash('sha256')
    .update(parts.map((p) => p.body).join('\0'))
    .digest('hex');
  const boundary = `==outposts-node-agent-${digest.slice(0, 16)}==`;
  if (parts.some((p) => p.body.includes(boundary)))
    throw new Error('a userdata part contains the MIME boundary');
  const lines = ['MIME-Version: 1.0', `Content-Type: multipart/mixed; boundary="${boundary}"`, ''];
  for (const p of parts) {
    // The line break before a boundary belongs to the boundary: a body keeps its own final newline.
    lines.push(`--${boundary}`, ...partHeaders(p), '', p.body.endsWith('\n') ? p.body : `${p.body}\n`);
  }
  lines.push(`--${boundary}--`, '');
  return lines.join('\n');
}
