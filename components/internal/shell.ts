// Shell quoting: the one place where a value becomes part of a shell command line. Every value that reaches a
// command resource's script goes through `shellQuote`, so a value arrives as exactly one argument, unchanged.

/** Characters that never need quoting in POSIX sh. Anything else is wrapped in single quotes. */
const SAFE_WORD = /^[A-Za-z0-9_@%+=:,./-]+$/;

/**
 * Quotes one value for POSIX sh (bash, dash): the result, pasted into a command line, is read back as one word
 * equal to `value`. Single quotes are closed, escaped and reopened (`'\''`). NUL cannot be passed in argv at all
 * and is rejected.
 */
export function shellQuote(value: string): string {
  if (value.includes("\0")) throw new Error("shellQuote: a NUL character cannot be passed to a shell command");
  if (value !== "" && SAFE_WORD.test(value)) return value;
  return `'${value.replace(/'/g, `'\\''`)}'`;
}

/** Joins a command and its arguments into one shell command line, each word quoted. @internal */
export function shellCommand(argv: readonly string[]): string {
  return argv.map(shellQuote).join(" ");
}

/** Renders `export NAME=value` lines for a script; names are checked, values quoted. @internal */
export function shellExports(env: Readonly<Record<string, string>>): string {
  return Object.entries(env)
    .map(([name, value]) => {
      if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(name))
        throw new Error(`shellExports: ${JSON.stringify(name)} is not a valid variable name`);
      return `export ${name}=${shellQuote(value)}`;
    })
    .join("\n");
}

/**
 * A script preceded by `export` lines for its variables ({@link shellExports}): one self-contained text, for a
 * transport that cannot pass an environment (a remote command: sshd accepts only the names its AcceptEnv lists).
 */
export function withExports(env: Readonly<Record<string, string>>, script: string): string {
  return `${shellExports(env)}\n${script}`;
}
