// The agent's version (package.json) and the commit it was built from (set by the build; `unknown` from sources).
import pkg from '../package.json' with { type: 'json' };

/** Defined by scripts/build.mjs and packaging/compile.ts as the git commit of the sources they built. */
declare const __AGENT_COMMIT__: string | undefined;

export const VERSION: string = pkg.version;
export const COMMIT: string = typeof __AGENT_COMMIT__ === 'string' ? __AGENT_COMMIT__ : 'unknown';

/** What `--version` prints: the version, then the commit in parentheses. */
export const VERSION_LINE = `${VERSION} (${COMMIT})`;
