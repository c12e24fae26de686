/** The syntax of a requirements file that both validation (confinement) and planning (the release key) read. */
/** The file a `-r`/`-c` line includes (pip's forms: `-r f`, `-rf`, `--requirement f`, `--requirement=f`). */
export declare function includedFile(line: string): string | undefined;
/** An include that pip fetches itself (`-r https://…`): nothing on the runner to read or confine. */
export declare function isUrlInclude(include: string): boolean;
