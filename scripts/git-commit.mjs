// The commit the sources are at (12 hex digits, `-dirty` with uncommitted changes), or `unknown` outside git: what
// the builds put into the agent (`--version`, the build_info metric).
import { execFileSync } from 'node:child_process';

/** @param {string} root */
export function gitCommit(root) {
  const git = (/** @type {string[]} */ args) =>
    execFileSync('git', args, { cwd: root, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
  try {
    const commit = git(['rev-parse', '--short=12', 'HEAD']);
    return git(['status', '--porcelain', '--untracked-files=no']) ? `${commit}-dirty` : commit;
  } catch {
    return 'unknown';
  }
}

/** The commit's date, YYYY-MM-DD (the manual page's date), or today's outside git. @param {string} root */
export function gitCommitDate(root) {
  try {
    return execFileSync('git', ['log', '-1', '--format=%cs'], {
      cwd: root,
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'ignore'],
    }).trim();
  } catch {
    return new Date().toISOString().slice(0, 10);
  }
}
