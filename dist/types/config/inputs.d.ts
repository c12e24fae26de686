/**
 * The action's inputs by name, with the defaults action.yml declares (a test keeps the two identical), and the
 * layering of the places a value can come from: what the user set, then the efsync.yaml, then the default.
 */
export declare const INPUT_DEFAULTS: {
    readonly 'aws-region': "";
    readonly 'role-to-assume': "";
    readonly 'role-session-name': "efsync";
    readonly 'role-duration-seconds': "3600";
    readonly audience: "sts.amazonaws.com";
    readonly 'file-system-id': "";
    readonly 'access-point-id': "";
    readonly 'subnet-id': "";
    readonly 'security-group-ids': "";
    readonly stack: "efsync";
    readonly 'instance-profile': "";
    readonly 'instance-type': "auto";
    readonly 'lambda-mount-path': "/mnt/efs";
    readonly requirements: "";
    readonly 'python-version': "3.13";
    readonly architecture: "x86_64";
    readonly 'pip-target': "lib";
    readonly 'pip-args': "";
    readonly installer: "auto";
    readonly compile: "auto";
    readonly 'verify-imports': "auto";
    readonly 'verify-imports-skip': "";
    readonly 'local-dir': "";
    readonly 'local-target': "";
    readonly 's3-source': "";
    readonly 's3-target': "";
    readonly 'staging-bucket': "";
    readonly 'staging-prefix': "efsync/";
    readonly delete: "true";
    readonly 'keep-releases': "3";
    readonly 'keep-releases-minutes': "1440";
    readonly force: "false";
    readonly 'dry-run': "false";
    readonly 'timeout-minutes': "60";
    readonly 'keep-warm': "0";
    readonly 'instance-id': "";
    readonly engine: "auto";
    readonly 'writer-function': "";
    readonly config: "";
    readonly mode: "sync";
};
export type InputName = keyof typeof INPUT_DEFAULTS;
export declare const INPUT_NAMES: InputName[];
/** One value with the words that name where it came from in an error message, e.g. "input 'mode'". */
export interface InputValue {
    value: string;
    label: string;
}
export type InputValues = Partial<Record<InputName, InputValue>>;
/** Labels name a value the way the user wrote it: an action input, a CLI flag, an API option or a file key. */
export type LabelStyle = 'input' | 'flag' | 'option';
export declare function labelFor(name: InputName, style?: LabelStyle): string;
/**
 * Collects what the user set. `getInput` returns '' for an input not given. The runner passes every default
 * along as if it were set, so with `ignoreDefaults` a value equal to its default counts as not set, and a key of
 * the config file can fill it.
 */
export declare function collectInputs(getInput: (name: InputName) => string | undefined, style: LabelStyle, ignoreDefaults: boolean): InputValues;
/** Layers values: the first layer that has a name wins; the default fills the rest. */
export declare function layer(style: LabelStyle, ...layers: InputValues[]): Record<InputName, InputValue>;
