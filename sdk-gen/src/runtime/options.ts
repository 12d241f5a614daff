// The resource options of this package's classes: Pulumi's options plus `providerSettings`, turned
// into what a Pulumi dynamic resource can carry.
//
// A dynamic resource's provider is the serialised object in its `__provider` input, so Pulumi's
// `provider`/`providers` options cannot reach it: they are refused here rather than dropped.
// A resource's own provider settings travel as the input `__providerSettings` instead (a secret
// input when any secret setting is set, so the state keeps it encrypted), and the `import` option
// as the input `__import`, which `create` answers by reading the existing resource (the engine's
// own import cannot load a dynamic provider: it reads with the id alone, without `__provider`).

import * as pulumi from "@pulumi/pulumi";

/** The input that carries a resource's own provider settings (the schema's config keys). */
export const providerSettingsKey = "__providerSettings";

/** The input that carries the id of an existing resource to import instead of creating one. */
export const importKey = "__import";

/** The provider settings the schema declares. */
export interface SettingsSchema {
    /** Every setting, by its schema name (`region`, `accessKey`, ...). */
    readonly names: readonly string[];
    /** The settings that are secret in the schema (`secretKey`, ...). */
    readonly secretNames: readonly string[];
}

/** Options as a class receives them: Pulumi's, plus the resource's own provider settings. */
export type OptionsWithSettings = pulumi.CustomResourceOptions & { providerSettings?: object };

/** What the class passes on: Pulumi's options, and the extra inputs the options became. */
export interface SplitOptions {
    readonly opts: pulumi.CustomResourceOptions;
    readonly inputs: Record<string, pulumi.Input<unknown>>;
}

/** Refuses what a dynamic resource cannot honour, and moves settings and `import` into inputs. */
export function splitResourceOptions(className: string, options: OptionsWithSettings | undefined, schema: SettingsSchema): SplitOptions {
    const { providerSettings, ...opts } = options ?? {};
    const providers: unknown = (opts as { providers?: unknown }).providers;
    if (opts.provider !== undefined || (providers !== undefined && providers !== null && Object.keys(providers as object).length > 0)) {
        throw new Error(`${className}: the \`provider\` and \`providers\` options cannot be honoured: this resource is a Pulumi dynamic ` +
            `resource, whose provider is the package's own; give it its own settings with the \`providerSettings\` option instead ` +
            `(for example { providerSettings: { region: "cn-shanghai" } })`);
    }
    const inputs: Record<string, pulumi.Input<unknown>> = {};
    if (providerSettings !== undefined && providerSettings !== null) {
        if (typeof providerSettings !== "object" || Array.isArray(providerSettings)) {
            throw new Error(`${className}: \`providerSettings\` must be an object of settings (${schema.names.join(", ")})`);
        }
        const settings = providerSettings as Record<string, unknown>;
        const unknown = Object.keys(settings).filter((name) => !schema.names.includes(name));
        if (unknown.length > 0) {
            throw new Error(`${className}: unknown provider setting(s) ${unknown.map((name) => `\`${name}\``).join(", ")}; ` +
                `the settings are ${schema.names.join(", ")}`);
        }
        const hasSecret = schema.secretNames.some((name) => settings[name] !== undefined && settings[name] !== null);
        inputs[providerSettingsKey] = hasSecret ? pulumi.secret(settings) : settings;
    }
    if (opts.import !== undefined) {
        inputs[importKey] = opts.import;
        delete opts.import;
    }
    return { opts, inputs };
}
