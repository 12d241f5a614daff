// The dynamic-provider methods of every resource, translated to the provider binary's JSON-RPC
// methods. The serialised provider object (`dynamicProvider.ts`) requires this module inside each
// method and calls in here, so this is the code that runs inside Pulumi's Node provider host.
//
// Property names in a Node program are the schema names, so values pass through unchanged; the
// resource type is sent explicitly because a dynamic resource's URN carries the dynamic type.

import * as pulumi from "@pulumi/pulumi";
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

/** The key under which Pulumi keeps the serialised provider in a dynamic resource's inputs. */
const providerKey = "__provider";

/** The error code the binary uses for "created, but not fully initialised". */
const resourceInitFailedCode = -32057;

let sharedProcess: ProviderProcess | undefined;

/** The one child per provider host process, started lazily. */
export function providerProcess(): ProviderProcess {
    if (sharedProcess === undefined) {
        sharedProcess = new ProviderProcess({ command: findProviderBinary(), onLog: forwardLog });
    }
    return sharedProcess;
}

/** Replaces the shared child, e.g. with one a test controls. */
export function setProviderProcess(process: ProviderProcess | undefined): void {
    sharedProcess = process;
}

/** Sends the binary's log notifications to Pulumi's log, at the same severity. */
export function forwardLog(entry: LogEntry): void {
    const message = entry.urn ? `${entry.urn}: ${entry.message}` : entry.message;
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
    for (const name of description.configVariables) {
        const value: unknown = request.config.get(`${description.configNamespace}:${name}`);
        if (value !== undefined && value !== null) {
            variables[`${description.configNamespace}:config:${name}`] = typeof value === "string" ? value : JSON.stringify(value);
        }
    }
    await providerProcess().configure({ variables, acceptSecrets: false });
}

export async function check(description: ResourceDescription, olds: any, news: any): Promise<pulumi.dynamic.CheckResult> {
    const result = asObject("check", await call(description, "check", { olds: withoutProvider(olds), news: withoutProvider(news) }));
    const failures = Array.isArray(result["failures"]) ? result["failures"] : [];
    return {
        inputs: asObject("check", result["inputs"]),
        failures: failures.map((failure: any) => ({ property: String(failure?.property ?? ""), reason: String(failure?.reason ?? "") })),
    };
}

export async function diff(description: ResourceDescription, id: string, olds: any, news: any): Promise<pulumi.dynamic.DiffResult> {
    const result = asObject("diff", await call(description, "diff", { id, olds: withoutProvider(olds), news: withoutProvider(news) }));
    const changes = result["changes"] === "DIFF_SOME" ? true : result["changes"] === "DIFF_NONE" ? false : undefined;
    return {
        changes,
        replaces: stringList(result["replaces"]),
        stables: stringList(result["stables"]),
        deleteBeforeReplace: result["deleteBeforeReplace"] === true,
    };
}

export async function create(description: ResourceDescription, inputs: any): Promise<pulumi.dynamic.CreateResult> {
    const result = asObject("create", await call(description, "create", { properties: withoutProvider(inputs) }, inputs));
    return { id: String(result["id"] ?? ""), outs: asObject("create", result["properties"]) };
}

export async function read(description: ResourceDescription, id: string, props: any): Promise<pulumi.dynamic.ReadResult> {
    const result = asObject("read", await call(description, "read", { id, properties: withoutProvider(props) }));
    const readId = String(result["id"] ?? "");
    if (readId === "") {
        // The resource is gone; an empty id tells the engine to drop it from the state.
        return { id: "", props: {} };
    }
    const inputs = result["inputs"];
    return {
        id: readId,
        props: asObject("read", result["properties"]),
        inputs: inputs !== null && typeof inputs === "object" ? inputs : undefined,
    };
}

export async function update(description: ResourceDescription, id: string, olds: any, news: any): Promise<pulumi.dynamic.UpdateResult> {
    const result = asObject("update", await call(description, "update", { id, olds: withoutProvider(olds), news: withoutProvider(news) }, news));
    return { outs: asObject("update", result["properties"]) };
}

export async function remove(description: ResourceDescription, id: string, props: any): Promise<void> {
    await call(description, "delete", { id, properties: withoutProvider(props) });
}

/**
 * Calls the binary with the resource type added. A `resource_init_failed` error becomes an error
 * carrying `id`, `properties` and `reasons`, which the Node provider host reports to the engine as
 * a partial failure so the new resource is kept in the state; `__provider` is put back into those
 * properties, or the engine could not load the provider for that resource again.
 */
async function call(description: ResourceDescription, method: string, params: Record<string, unknown>, inputs?: any): Promise<unknown> {
    try {
        return await providerProcess().request(method, { type: description.resourceType, ...params });
    } catch (error) {
        if (error instanceof ProviderError && error.code === resourceInitFailedCode) {
            const properties: Record<string, unknown> = { ...objectOrEmpty(error.data["properties"]) };
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

function withoutProvider(values: any): Record<string, unknown> {
    const copy: Record<string, unknown> = { ...objectOrEmpty(values) };
    delete copy[providerKey];
    return copy;
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
