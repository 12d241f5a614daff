// Program test of the TypeScript SDK: the seed example's whole chain (network rule, policy,
// access point, client key, each fed by the outputs of the one before) as a TypeScript Pulumi
// program
// (seed_program.ts, compiled by scripts/test.d/40-engine.sh against the SDK; its path comes in
// KMS_SDK_NODEJS_SEED_PROGRAM) runs under Pulumi's mocks. The mock does the engine's and the
// provider host's part for each registration: it evaluates the `__provider` text our SDK
// registered (with require-from-string, as cmd/dynamic-provider does), configures it once with the
// stack config, then calls its check and create, which run the real binary against a local
// emulator. The program's outputs, the key file and the emulator's state are checked.

"use strict";

const assert = require("node:assert/strict");
const fs = require("node:fs");
const path = require("node:path");
const { test } = require("node:test");

const harness = require("./engine_harness");

const password = "YouPassword123!";

test("the seed example's chain runs end to end from a TypeScript program", async () => {
    const program = process.env.KMS_SDK_NODEJS_SEED_PROGRAM;
    assert.ok(program && fs.existsSync(program), "KMS_SDK_NODEJS_SEED_PROGRAM must name the compiled seed program");
    const directory = harness.programDirectory("node-program-");
    const emulator = await harness.Emulator.start(path.join(directory, "kms-emulator.log"));
    try {
        // The SDK spawns the binary from this process: it inherits the working directory (a
        // relative key file lands there) and an environment without outer credentials.
        await harness.inProgramEnvironment(directory, {}, async () => {
            const { onResource, created } = harness.engineAndHostInAMock(harness.stackConfig(emulator));
            harness.mockState.onResource = onResource;
            await harness.installMocks();

            const outputs = require(program);
            const values = {};
            for (const [name, output] of Object.entries(outputs)) {
                values[name] = await harness.valueOf(output);
            }
            const passwordIsSecret = await outputs.clientKeyPassword.isSecret;

            assert.deepEqual(created.map(([type]) => type), [
                "pulumi-nodejs:dynamic/alicloud-kms:NetworkRule",
                "pulumi-nodejs:dynamic/alicloud-kms:Policy",
                "pulumi-nodejs:dynamic/alicloud-kms:ApplicationAccessPoint",
                "pulumi-nodejs:dynamic/alicloud-kms:ClientKey",
            ]);
            assert.match(values.clientKeyId, /^KAAP\./);
            // The rule's name was generated from its resource name, and fed the policy's rules.
            assert.match(values.networkRuleName, /^networkRule-[0-9a-f]{7}$/);
            assert.deepEqual(values, {
                networkRuleName: values.networkRuleName,
                networkRuleSourcePrivateIps: ["10.10.10.10/24", "192.168.17.13", "100.177.24.254"],
                policyName: "terraform-example-policy",
                policyAccessControlRules: JSON.stringify({ NetworkRules: [values.networkRuleName] }),
                policyKmsInstanceId: "kst-hzz634e67d126u9p9example",
                accessPointId: "terraform-example",
                accessPointName: "terraform-example",
                accessPointPolicies: ["terraform-example-policy"],
                accessPointDescription: "aa",
                clientKeyId: values.clientKeyId,
                clientKeyAapName: "terraform-example",
                clientKeyNotBefore: "2023-09-01T14:11:22Z",
                clientKeyNotAfter: "2028-09-01T14:11:22Z",
                clientKeyCreateTime: values.clientKeyCreateTime,
                clientKeyPrivateKeyDataFile: "./private_key_data_file.txt",
                clientKeyPassword: password,
            });
            // The binary returns the password as a secret, so the program's output is one.
            assert.equal(passwordIsSecret, true);

            const key = (await emulator.clientKeys()).get(values.clientKeyId);
            assert.equal(key.aap_name, "terraform-example");
            assert.equal(key.create_time, values.clientKeyCreateTime);
            const point = (await emulator.accessPoints()).get("terraform-example");
            assert.deepEqual([point.policies, point.description], [["terraform-example-policy"], "aa"]);
            const { body: policies } = await emulator.control("GET", "policies");
            assert.deepEqual(policies.policies.map((stored) => [stored.name, stored.network_rules]), [
                ["terraform-example-policy", [values.networkRuleName]],
            ]);
            const { body: rules } = await emulator.control("GET", "network-rules");
            assert.deepEqual(rules.network_rules.map((stored) => stored.name), [values.networkRuleName]);

            const keyFile = path.join(directory, "private_key_data_file.txt");
            assert.equal(fs.statSync(keyFile).mode & 0o777, 0o600);
            const written = JSON.parse(fs.readFileSync(keyFile, "utf8"));
            assert.equal(written.KeyId, values.clientKeyId);
            assert.match(written.PrivateKeyData, /^[A-Za-z0-9+/]{1000,}={0,2}$/);
        });
    } finally {
        await emulator.stop();
        harness.removeDirectory(directory);
    }
});
