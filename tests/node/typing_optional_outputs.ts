// A typing test, never run: every resource's outputs, the optional ones (`Output<string |
// undefined>`) included, passed into the next resource's inputs, every optional input among them,
// in `get`'s state and in `ProviderSettings` too. scripts/test.d/30-sdk.sh compiles it with
// `tsc --strict` (TypeScript 5 and 6, node16 module resolution) against the generated SDK; it fails
// where an input is typed more narrowly than the outputs that feed it.

import * as pulumi from "@pulumi/pulumi";
import * as kms from "pulumi-alicloud-kms";

const rule = new kms.NetworkRule("rule", { sourcePrivateIps: ["10.10.10.10/24"], description: "a rule" });
const policy = new kms.Policy("policy", {
    policyName: "typing-policy",
    kmsInstanceId: "kst-hzz634e67d126u9p9example",
    permissions: ["RbacPermission/Template/CryptoServiceKeyUser"],
    resources: ["key/*"],
    accessControlRules: rule.networkRuleName.apply((name) => JSON.stringify({ NetworkRules: [name] })),
    description: rule.description,
});
const aap = new kms.ApplicationAccessPoint("aap", {
    applicationAccessPointName: policy.policyName,
    policies: [policy.policyName],
    description: policy.description,
});
const key = new kms.ClientKey("key", {
    aapName: aap.applicationAccessPointName,
    password: pulumi.secret("YouPassword123!"),
    notBefore: aap.description,
    notAfter: policy.description,
    privateKeyDataFile: rule.description,
});

// The outputs keep their precise types: required ones are never undefined.
export const password: pulumi.Output<string> = key.password;
export const createTime: pulumi.Output<string> = key.createTime;
export const ruleName: pulumi.Output<string> = rule.networkRuleName;
export const addresses: pulumi.Output<string[]> = rule.sourcePrivateIps;
export const keyFile: pulumi.Output<string | undefined> = key.privateKeyDataFile;

// Each resource's outputs into the next one's inputs, every optional one from an optional output.
const secondRule = new kms.NetworkRule("second-rule", {
    networkRuleName: aap.description,
    sourcePrivateIps: rule.sourcePrivateIps,
    description: key.privateKeyDataFile,
});
const secondPolicyArgs: kms.PolicyArgs = {
    policyName: policy.policyName,
    kmsInstanceId: policy.kmsInstanceId,
    permissions: policy.permissions,
    resources: policy.resources,
    accessControlRules: policy.accessControlRules,
    description: secondRule.description,
};
const secondPolicy = new kms.Policy("second-policy", secondPolicyArgs);
const secondAap = new kms.ApplicationAccessPoint("second-aap", {
    applicationAccessPointName: aap.applicationAccessPointName,
    policies: aap.policies,
    description: secondPolicy.description,
});
const settings: kms.ProviderSettings = { region: aap.description, endpoint: secondAap.description, secretKey: key.privateKeyDataFile };
export const secondKey = new kms.ClientKey("second-key", {
    aapName: key.aapName,
    password: key.password,
    notBefore: key.notBefore,
    notAfter: secondAap.description,
    privateKeyDataFile: key.privateKeyDataFile,
}, { providerSettings: settings });
export const lookedUp = kms.ClientKey.get("looked-up", key.id, {
    aapName: secondAap.description,
    notBefore: key.privateKeyDataFile,
    password: key.password,
});
