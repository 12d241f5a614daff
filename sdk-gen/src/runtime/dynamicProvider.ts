// The provider object a generated resource class passes to `pulumi.dynamic.Resource`.
//
// @pulumi/pulumi serialises this object into the resource's state as JavaScript source (closure
// serialisation) and evaluates it again inside its Node provider host. So the object holds only
// plain data (strings), its methods are arrow functions, and each method `require`s the bridge
// module when it runs instead of capturing it: a captured module would drag in `child_process`
// and sockets, which cannot be serialised.

import type * as pulumi from "@pulumi/pulumi";
import type * as bridgeModule from "./bridge";

export interface DynamicProviderDescription {
    /** The schema token, e.g. `alicloud-kms:index:ClientKey`. */
    readonly resourceType: string;
    /** The stack config namespace, e.g. `alicloud-kms`. */
    readonly configNamespace: string;
    /** The schema's config variable names. */
    readonly configVariables: readonly string[];
    /** The bridge by package path (`pulumi-alicloud-kms/bin/bridge`); tried first, so a state written
     * on one machine works on another. */
    readonly bridgeModule: string;
    /** The bridge's absolute path when the program ran; the fallback when the package cannot be
     * resolved from the provider host's working directory. */
    readonly bridgePath: string;
}

export function dynamicProvider(description: DynamicProviderDescription): pulumi.dynamic.ResourceProvider {
    // A copy with only plain data is what gets captured.
    const captured = {
        resourceType: description.resourceType,
        configNamespace: description.configNamespace,
        configVariables: [...description.configVariables],
        bridgeModule: description.bridgeModule,
        bridgePath: description.bridgePath,
    };
    const loadBridge = (): typeof bridgeModule => {
        try {
            return require(captured.bridgeModule);
        } catch (packageError) {
            try {
                return require(captured.bridgePath);
            } catch {
                throw packageError;
            }
        }
    };
    return {
        configure: async (request) => loadBridge().configure(captured, request),
        check: async (olds, news) => loadBridge().check(captured, olds, news),
        diff: async (id, olds, news) => loadBridge().diff(captured, id, olds, news),
        create: async (inputs) => loadBridge().create(captured, inputs),
        read: async (id, props) => loadBridge().read(captured, id, props),
        update: async (id, olds, news) => loadBridge().update(captured, id, olds, news),
        delete: async (id, props) => loadBridge().remove(captured, id, props),
    };
}
