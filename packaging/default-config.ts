// Renders /etc/outposts-node-agent/config.yaml: every parameter from `config --docs`, commented out at its default.
export interface DocLine {
  key: string;
  default: string;
  doc: string;
}

/** Parses `outposts-node-agent config --docs` (key TAB default TAB doc per line). */
export function parseDocs(text: string): DocLine[] {
  return text
    .split('\n')
    .filter((l) => l.trim() !== '')
    .map((l) => {
      const [key = '', def = '', ...doc] = l.split('\t');
      return { key, default: def, doc: doc.join('\t') };
    });
}

/** `addressing.address (mode static)`: a key that exists only for one value of its section's `mode`. */
const VARIANT = /^(.*) \(mode (\w+)\)$/;

/** A section's `mode` selector goes before the keys that exist only for one of its values. */
function selectorsFirst(docs: readonly DocLine[]): DocLine[] {
  const sectionOf = (d: DocLine) => d.key.slice(0, -'.mode'.length);
  const isSelector = (d: DocLine) =>
    d.key.endsWith('.mode') && docs.some((o) => VARIANT.test(o.key) && o.key.startsWith(`${sectionOf(d)}.`));
  const out = docs.filter((d) => !isSelector(d));
  for (const selector of docs.filter(isSelector)) {
    const at = out.findIndex((d) => d.key.startsWith(`${sectionOf(selector)}.`));
    out.splice(at < 0 ? out.length : at, 0, selector);
  }
  return out;
}

/** One commented block per parameter, nested like the YAML it stands for; per-mode keys are labelled. */
export function renderDefaultConfig(docs: readonly DocLine[], version: string): string {
  const out = [
    `# outposts-node-agent ${version}: configuration. Every parameter is listed at its default, commented out;`,
    '# uncomment and edit what you need (YAML). Precedence: this file < environment',
    '# OUTPOSTS_NODE_AGENT__<SECTION>__<KEY> < --set section.key=value; `outposts-node-agent config` prints the result.',
    '# Package upgrades leave this file alone (%config(noreplace)).',
  ];
  let section: string[] = [];
  let mode: string | undefined;
  for (const d of selectorsFirst(docs)) {
    const variant = VARIANT.exec(d.key);
    const path = (variant?.[1] ?? d.key).split('.');
    const leaf = path.pop() ?? '';
    if (path.join('.') !== section.join('.')) {
      let same = 0;
      while (same < path.length && section[same] === path[same]) same++;
      for (let i = same; i < path.length; i++)
        out.push(...(i === 0 ? ['#'] : []), `# ${'  '.repeat(i)}${path[i]}:`);
      section = path;
      mode = undefined;
    }
    const indent = '  '.repeat(path.length);
    if (variant?.[2] && variant[2] !== mode) out.push(`# ${indent}# with mode: ${variant[2]}`);
    mode = variant?.[2];
    out.push(`# ${indent}# ${d.doc}${d.default === '' ? ' (unset by default)' : ''}`);
    out.push(`# ${indent}${leaf}:${d.default === '' ? '' : ` ${d.default}`}`);
  }
  return `${out.join('\n')}\n`;
}
