// Types for git-commit.mjs (plain JS so scripts/build.mjs can run it without a TypeScript loader).
export function gitCommit(root: string): string;
export function gitCommitDate(root: string): string;
