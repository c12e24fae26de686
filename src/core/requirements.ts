/** The syntax of a requirements file that both validation (confinement) and planning (the release key) read. */

/** The file a `-r`/`-c` line includes (pip's forms: `-r f`, `-rf`, `--requirement f`, `--requirement=f`). */
export function includedFile(line: string): string | undefined {
  const stripped = line.replace(/(^|\s)#.*$/, '').trim();
  const match = /^--(?:requirement|constraint)(?:=|\s+)(.+)$/.exec(stripped) ?? /^-[rc]\s*(.+)$/.exec(stripped);
  return match?.[1]?.trim() || undefined;
}

/** An include that pip fetches itself (`-r https://…`): nothing on the runner to read or confine. */
export function isUrlInclude(include: string): boolean {
  return /^[a-z][a-z0-9+.-]*:\/\//i.test(include);
}
