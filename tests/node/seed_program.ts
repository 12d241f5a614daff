// The seed example (docs/kms-api.md §5.5) as a TypeScript Pulumi program
// using our SDK: an application access point and a client key in it, whose aapName is the access
// point's output. program.test.js compiles it (tsc --strict, in a program directory whose
// node_modules holds the SDK) and runs it under Pulumi's mocks.

import * as pulumi from "@pulumi/pulumi";
import * as kms from "pulumi-alicloud-kms";

const name = "terraform-example";

const aap0 = new kms.ApplicationAccessPoint("AAP0", {
    policies: ["aa"],
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
