// The seed example (docs/kms-api.md §5.5) grown into the whole access chain, as a TypeScript
// Pulumi program using our SDK, each link's outputs feeding the next one's inputs: a network rule
// with private IPs (its name generated from the resource name), a permission policy on a KMS
// instance bound to that rule, the application access point `terraform-example` with that
// policy, and a client key in it. program.test.js compiles it (tsc --strict, in a program
// directory whose node_modules holds the SDK) and runs it under Pulumi's mocks.

import * as pulumi from "@pulumi/pulumi";
import * as kms from "pulumi-alicloud-kms";

const name = "terraform-example";

const networkRule = new kms.NetworkRule("networkRule", {
    sourcePrivateIps: ["10.10.10.10/24", "192.168.17.13", "100.177.24.254"],
    description: "example-description",
});

const policy = new kms.Policy("policy", {
    policyName: `${name}-policy`,
    kmsInstanceId: "kst-hzz634e67d126u9p9example",
    permissions: ["RbacPermission/Template/CryptoServiceKeyUser"],
    resources: ["key/*"],
    accessControlRules: networkRule.networkRuleName.apply((ruleName) => JSON.stringify({ NetworkRules: [ruleName] })),
    description: "key use from the network rule's addresses",
});

const aap0 = new kms.ApplicationAccessPoint("AAP0", {
    policies: [policy.policyName],
    description: "aa",
    applicationAccessPointName: name,
});

const clientKey = new kms.ClientKey("default", {
    aapName: aap0.applicationAccessPointName,
    password: "YouPassword123!",
    notBefore: "2023-09-01T14:11:22Z",
    notAfter: "2028-09-01T14:11:22Z",
    privateKeyDataFile: "./private_key_data_file.txt",
});

export const networkRuleName = networkRule.networkRuleName;
export const networkRuleSourcePrivateIps = networkRule.sourcePrivateIps;
export const policyName = policy.policyName;
export const policyAccessControlRules = policy.accessControlRules;
export const policyKmsInstanceId = policy.kmsInstanceId;
export const accessPointId = aap0.id;
export const accessPointName = aap0.applicationAccessPointName;
export const accessPointPolicies = aap0.policies;
export const accessPointDescription = aap0.description;
export const clientKeyId = clientKey.id;
export const clientKeyAapName = clientKey.aapName;
export const clientKeyNotBefore = clientKey.notBefore;
export const clientKeyNotAfter = clientKey.notAfter;
export const clientKeyCreateTime = clientKey.createTime;
export const clientKeyPrivateKeyDataFile = clientKey.privateKeyDataFile;
// Typed as pulumi-alicloud types it: the password input is required, so the output is a string.
export const clientKeyPassword: pulumi.Output<string> = clientKey.password;
