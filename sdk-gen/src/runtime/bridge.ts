// The dynamic-provider methods of every resource, translated to the provider binary's JSON-RPC
// methods. The serialised provider object (`dynamicProvider.ts`) requires this module inside each
// method and calls in here, so this is the code that runs inside Pulumi's Node provider host.
//
// Property names in a Node program are the schema names, so values pass through unchanged; the
// resource type is sent explicitly because a dynamic resource's URN carries the dynamic type.
//
// One child runs per set of provider settings: the stack's (configured by the host's `configure`)
// and one for each resource's own `__providerSettings` (see `options.ts`), configured with those
// settings alone. `diff` needs no credentials, so it always goes to the stack's child; `check` goes
// to the resource's own child when its settings are known, so a preview reports bad settings.
//
// The binary's messages are written for any engine: they advise `pulumi import`, which cannot load
// a dynamic resource's provider, and call the settings they were given "the provider config".
// `typescriptText` says the same in a program's terms: the `import` resource option, and
// `providerSettings` for the errors of a resource's own settings.

import * as pulumi from "@pulumi/pulumi";
import { importKey, providerSettingsKey } from "./options";
import { findProviderBinary, LogEntry, ProviderError, ProviderProcess, transportErrorCode } from "./rpc";

/** What a generated resource module tells the bridge about its resource. */
export interface ResourceDescription {
    /** The schema token, e.g. `alicloud-kms:index:ClientKey`. */
    readonly resourceType: string;
    /** The stack config namespace, e.g. `alicloud-kms` for `alicloud-kms:region`. */
    readonly configNamespace: string;
    /** The schema's config variable names, e.g. `region`, `accessKey`. */
    readonly configVariables: readonly string[];
}

/** How the binary advises adopting a resource (`pulumi import <token> <name> <id>`, in backticks). */
const importAdvice = /`pulumi import \S+ \S+ ([^`\s]+)`/g;

/**
 * What the binary calls the settings it was configured with, and what a resource's own settings are
 * to a program (the binary's wording: `provider/error.rs`, `kms/credentials`).
 */
const settingsPhrases: ReadonlyArray<[string, string]> = [
    ["invalid provider configuration:", "invalid providerSettings:"],
    ["fix the alicloud-kms:config settings", "fix the providerSettings of this resource"],
    ["the provider config", "providerSettings"],
];

/**
 * One of the binary's messages in a program's terms: the `import` resource option instead of
 * `pulumi import`, and, for a resource with its own settings, those settings as `providerSettings`.
 */
export function typescriptText(text: string, ownSettings: boolean): string {
    let translated = text.replace(importAdvice, (_match, id: string) => `the \`import\` resource option (\`{ import: ${JSON.stringify(id)} }\`)`);
    if (ownSettings) {
        for (const [binaryWords, programWords] of settingsPhrases) {
            translated = translated.split(binaryWords).join(programWords);
        }
    }
    return translated;
}

/** The key under which Pulumi keeps the serialised provider in a dynamic resource's inputs. */
const providerKey = "__provider";

/**
 * pulumi-alicloud's config namespace: a stack set up for it works unchanged. Its keys that mean
 * something here have the names of this package's settings, plus `endpoints`; the binary picks what
 * it uses (a dynamic provider's config can only be asked key by key).
 */
const pulumiAlicloudNamespace = "alicloud";
const pulumiAlicloudExtraKeys = ["endpoints"];

/** The error code the binary uses for "created, but not fully initialised". */
const resourceInitFailedCode = -32057;

let sharedProcess: ProviderProcess | undefined;
const settingsProcesses = new Map<string, ProviderProcess>();

/** The child configured with the stack's settings, one per provider host process, started lazily. */
export function providerProcess(): ProviderProcess {
    if (sharedProcess === undefined) {
        sharedProcess = new ProviderProcess({ command: findProviderBinary(), onLog: forwardLog });
    }
    return sharedProcess;
}

/** Replaces the shared child, e.g. with one a test controls; forgets the per-settings children. */
export function setProviderProcess(process: ProviderProcess | undefined): void {
    sharedProcess = process;
    for (const child of settingsProcesses.values()) {
        child.stop();
    }
    settingsProcesses.clear();
}

/** The child for a resource: the stack's, or the one configured with the resource's own settings. */
export function providerProcessFor(description: ResourceDescription, values: any): ProviderProcess {
    const settings = values !== null && typeof values === "object" ? values[providerSettingsKey] : undefined;
    if (settings === undefined || settings === null) {
        return providerProcess();
    }
    const variables = settingsVariables(description, settings);
    const key = JSON.stringify(Object.entries(variables).sort());
    let child = settingsProcesses.get(key);
    if (child === undefined) {
        child = new ProviderProcess({
            command: findProviderBinary(),
            onLog: (entry) => forwardLog({ ...entry, message: typescriptText(entry.message, true) }),
            configure: { variables, acceptSecrets: false },
        });
        settingsProcesses.set(key, child);
    }
    return child;
}

/** A resource's own settings as the binary's `configure` variables (`alicloud-kms:config:region`). */
function settingsVariables(description: ResourceDescription, settings: unknown): Record<string, string> {
    if (typeof settings !== "object" || Array.isArray(settings)) {
        throw new ProviderError(-32602, `${providerSettingsKey} must be an object of provider settings`, { kind: "invalid_params" });
    }
    const variables: Record<string, string> = {};
    for (const [name, value] of Object.entries(settings as Record<string, unknown>)) {
        if (!description.configVariables.includes(name)) {
            throw new ProviderError(-32602, `unknown provider setting \`${name}\`; the settings are ${description.configVariables.join(", ")}`,
                { kind: "invalid_params" });
        }
        if (value !== undefined && value !== null) {
            variables[`${description.configNamespace}:config:${name}`] = typeof value === "string" ? value : JSON.stringify(value);
        }
    }
    return variables;
}

/** Sends the binary's log notifications to Pulumi's log, at the same severity. */
export function forwardLog(entry: LogEntry): void {
    const text = typescriptText(entry.message, false);
    const message = entry.urn ? `${entry.urn}: ${text}` : text;
    switch (entry.severity) {
        case "error":
            pulumi.log.error(message);
            break;
        case "warning":
            pulumi.log.warn(message);
            break;
        case "debug":
            pulumi.log.debug(message);
            break;
        default:
            pulumi.log.info(message);
    }
}

/**
 * Stack config → `configure`. Dynamic providers see the whole stack config with namespaces kept
 * (`alicloud-kms:region`); the binary wants its own keys (`alicloud-kms:config:region`).
 * `acceptSecrets: false`, because values go back through a dynamic provider host that cannot
 * carry secrets; the resource classes mark secret outputs with `additionalSecretOutputs`.
 */
export async function configure(description: ResourceDescription, request: pulumi.dynamic.ConfigureRequest): Promise<void> {
    const variables: Record<string, string> = {};
    const namespaces: [string, readonly string[]][] = [
        [description.configNamespace, description.configVariables],
        [pulumiAlicloudNamespace, [...description.configVariables, ...pulumiAlicloudExtraKeys]],
    ];
    for (const [namespace, names] of namespaces) {
        for (const name of names) {
            const value: unknown = request.config.get(`${namespace}:${name}`);
            if (value !== undefined && value !== null) {
                variables[`${namespace}:config:${name}`] = typeof value === "string" ? value : JSON.stringify(value);
            }
        }
    }
    await providerProcess().configure({ variables, acceptSecrets: false });
}

export async function check(description: ResourceDescription, olds: any, news: any): Promise<pulumi.dynamic.CheckResult> {
    // Settings not known yet (a preview: the sentinel string) leave check to the stack's child.
    const settings = objectOrEmpty(news)[providerSettingsKey];
    const process = settings !== null && typeof settings === "object" ? providerProcessFor(description, news) : providerProcess();
    const result = asObject("check", await call(description, process, "check", { olds: withoutProvider(olds), news: withoutProvider(news) }, news));
    const failures = Array.isArray(result["failures"]) ? result["failures"] : [];
    return {
        // The checked inputs become the resource's inputs, so the SDK's own keys go back in.
        inputs: withExtras(asObject("check", result["inputs"]), news, true),
        failures: failures.map((failure: any) => ({ property: String(failure?.property ?? ""), reason: String(failure?.reason ?? "") })),
    };
}

export async function diff(description: ResourceDescription, id: string, olds: any, news: any): Promise<pulumi.dynamic.DiffResult> {
    const result = asObject("diff", await call(description, providerProcess(), "diff", { id, olds: withoutProvider(olds), news: withoutProvider(news) }));
    let changes = result["changes"] === "DIFF_SOME" ? true : result["changes"] === "DIFF_NONE" ? false : undefined;
    if (changes !== true && !sameSettings(olds, news)) {
        // Only the resource's own provider settings changed (a rotated key): an update in place,
        // so that the state holds the settings the next refresh and delete will use.
        changes = true;
    }
    return {
        changes,
        replaces: stringList(result["replaces"]),
        stables: stringList(result["stables"]),
        deleteBeforeReplace: result["deleteBeforeReplace"] === true,
    };
}

export async function create(description: ResourceDescription, inputs: any): Promise<pulumi.dynamic.CreateResult> {
    const process = providerProcessFor(description, inputs);
    const importId = objectOrEmpty(inputs)[importKey];
    if (typeof importId === "string" && importId !== "") {
        return importExisting(description, process, importId, inputs);
    }
    const result = asObject("create", await call(description, process, "create", { properties: withoutProvider(inputs) }, inputs));
    return { id: String(result["id"] ?? ""), outs: withExtras(asObject("create", result["properties"]), inputs) };
}

/**
 * The `import` option: the existing resource is read, and adopted only when the program's inputs
 * describe it (the binary's `diff` finds no change), as the engine's own import would require.
 */
async function importExisting(description: ResourceDescription, process: ProviderProcess, id: string, inputs: any): Promise<pulumi.dynamic.CreateResult> {
    const read = asObject("read", await call(description, process, "read", { id }));
    if (String(read["id"] ?? "") === "") {
        throw new ProviderError(-32602, `cannot import ${description.resourceType} ${id}: it does not exist; check the id given in the \`import\` option`,
            { kind: "not_found" });
    }
    const properties = asObject("read", read["properties"]);
    const difference = asObject("diff", await call(description, process, "diff", { id, olds: properties, news: withoutProvider(inputs) }));
    if (difference["changes"] === "DIFF_SOME") {
        const names = stringList(difference["diffs"]) ?? [];
        throw new ProviderError(-32602, `cannot import ${description.resourceType} ${id}: the program's inputs differ from the existing resource ` +
            `in ${names.map((name) => `\`${name}\``).join(", ") || "some properties"}; make the program describe it as it is, then run again`,
            { kind: "import_mismatch" });
    }
    return { id: String(read["id"]), outs: withExtras(properties, inputs) };
}

export async function read(description: ResourceDescription, id: string, props: any): Promise<pulumi.dynamic.ReadResult> {
    const result = asObject("read", await call(description, providerProcessFor(description, props), "read", { id, properties: withoutProvider(props) }));
    const readId = String(result["id"] ?? "");
    if (readId === "") {
        // The resource is gone; an empty id tells the engine to drop it from the state.
        return { id: "", props: {} };
    }
    const inputs = result["inputs"];
    return {
        id: readId,
        props: withExtras(asObject("read", result["properties"]), props),
        inputs: inputs !== null && typeof inputs === "object" ? withExtras(inputs, props) : undefined,
    };
}

export async function update(description: ResourceDescription, id: string, olds: any, news: any): Promise<pulumi.dynamic.UpdateResult> {
    const difference = asObject("diff", await call(description, providerProcess(), "diff", { id, olds: withoutProvider(olds), news: withoutProvider(news) }));
    if (difference["changes"] === "DIFF_NONE") {
        // Only the provider settings changed: nothing to ask of the cloud; the outputs stay, with
        // the new settings.
        return { outs: withExtras(withoutProvider(olds), news) };
    }
    const process = providerProcessFor(description, news);
    const result = asObject("update", await call(description, process, "update", { id, olds: withoutProvider(olds), news: withoutProvider(news) }, news));
    return { outs: withExtras(asObject("update", result["properties"]), news) };
}

export async function remove(description: ResourceDescription, id: string, props: any): Promise<void> {
    await call(description, providerProcessFor(description, props), "delete", { id, properties: withoutProvider(props) });
}

/**
 * Calls the binary with the resource type added. A `resource_init_failed` error becomes an error
 * carrying `id`, `properties` and `reasons`, which the Node provider host reports to the engine as
 * a partial failure so the new resource is kept in the state; `__provider` is put back into those
 * properties, or the engine could not load the provider for that resource again.
 */
async function call(description: ResourceDescription, process: ProviderProcess, method: string, params: Record<string, unknown>, inputs?: any): Promise<unknown> {
    try {
        return await process.request(method, { type: description.resourceType, ...params });
    } catch (caught) {
        let error = caught;
        if (error instanceof ProviderError) {
            const ownSettings = process !== providerProcess();
            error = new ProviderError(error.code, typescriptText(error.message, ownSettings), error.data);
        }
        if (error instanceof ProviderError && error.code === resourceInitFailedCode) {
            const properties = withExtras(objectOrEmpty(error.data["properties"]), inputs);
            if (inputs !== undefined && inputs !== null && inputs[providerKey] !== undefined) {
                properties[providerKey] = inputs[providerKey];
            }
            Object.assign(error, {
                id: String(error.data["id"] ?? ""),
                properties,
                reasons: stringList(error.data["reasons"]) ?? [error.message],
            });
        }
        throw error;
    }
}

/** The values the binary sees: without `__provider` and the SDK's own keys. */
/** Whether two property bags carry the same provider settings of their own (key order aside). */
function sameSettings(olds: any, news: any): boolean {
    const canonical = (value: unknown): string => {
        if (Array.isArray(value)) {
            return `[${value.map(canonical).join(",")}]`;
        }
        if (value !== null && typeof value === "object") {
            const entries = Object.entries(value as Record<string, unknown>).filter(([, item]) => item !== undefined);
            entries.sort(([left], [right]) => (left < right ? -1 : left > right ? 1 : 0));
            return `{${entries.map(([key, item]) => `${JSON.stringify(key)}:${canonical(item)}`).join(",")}}`;
        }
        return JSON.stringify(value ?? null);
    };
    return canonical(objectOrEmpty(olds)[providerSettingsKey]) === canonical(objectOrEmpty(news)[providerSettingsKey]);
}

function withoutProvider(values: any): Record<string, unknown> {
    const copy: Record<string, unknown> = { ...objectOrEmpty(values) };
    delete copy[providerKey];
    delete copy[providerSettingsKey];
    delete copy[importKey];
    return copy;
}

/**
 * A reply's properties with the resource's own settings from `source` put back, so that read and
 * delete, which get only the state, reach the same account; `__import` too for checked inputs
 * (outputs never carry it).
 */
function withExtras(values: Record<string, any>, source: any, keepImport = false): Record<string, any> {
    const extras: Record<string, unknown> = {};
    const from = objectOrEmpty(source);
    if (from[providerSettingsKey] !== undefined) {
        extras[providerSettingsKey] = from[providerSettingsKey];
    }
    if (keepImport && from[importKey] !== undefined) {
        extras[importKey] = from[importKey];
    }
    return { ...values, ...extras };
}

function objectOrEmpty(value: unknown): Record<string, unknown> {
    return value !== null && typeof value === "object" && !Array.isArray(value) ? (value as Record<string, unknown>) : {};
}

function asObject(method: string, value: unknown): Record<string, any> {
    if (value === null || typeof value !== "object" || Array.isArray(value)) {
        throw new ProviderError(transportErrorCode, `the provider binary sent a malformed \`${method}\` reply (expected an object)`, { kind: "transport" });
    }
    return value as Record<string, any>;
}

function stringList(value: unknown): string[] | undefined {
    return Array.isArray(value) ? value.map((item) => String(item)) : undefined;
}
