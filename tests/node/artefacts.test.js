// Tests of the npm artefacts as a user installs them (scripts/test.d/50-artefacts.sh): the packed
// `pulumi-alicloud-kms` and `pulumi-alicloud-kms-linux-x64-gnu` installed into a fresh npm project
// with the lowest @pulumi/pulumi the package declares, run with no cargo on PATH and no
// ALICLOUD_KMS_PROVIDER_PATH. The seed example goes through @pulumi/pulumi's real dynamic-provider
// host to a local emulator; resources with their own provider settings reach their own account;
// the settings' secrets stay out of `__provider` and are secret in the state; options the SDK
// cannot honour are errors; the `import` option adopts an existing resource.

"use strict";

const assert = require("node:assert/strict");
const fs = require("node:fs");
const path = require("node:path");
const { after, before, describe, test } = require("node:test");

const harness = require("./engine_harness");
const { DiffChanges, isSecret, withoutProvider } = harness;

const password = "YouPassword123!";
const otherAccessKeyId = "shanghai-access-key-id";
const otherAccessKeySecret = "shanghai-secret-9f1c2e7d";

/**
 * The seed example as the engine deploys it: each link's inputs may use the outputs of the links
 * before it. Growing the seed into the full chain (network rule → policy → access point → client
 * key) means adding links here, in dependency order.
 */
// The whole chain (network rule → policy → access point → client key), outputs feeding inputs.
const seedChain = [
    {
        name: "networkRule",
        resource: "NetworkRule",
        args: () => ({ sourcePrivateIps: ["10.10.10.10/24", "192.168.17.13", "100.177.24.254"], description: "example-description" }),
    },
    {
        name: "policy",
        resource: "Policy",
        args: (deployed) => ({
            policyName: "terraform-example-policy",
            kmsInstanceId: "kst-hzz634e67d126u9p9example",
            permissions: ["RbacPermission/Template/CryptoServiceKeyUser"],
            resources: ["key/*"],
            accessControlRules: JSON.stringify({ NetworkRules: [deployed.networkRule.outputs.networkRuleName] }),
        }),
    },
    {
        name: "AAP0",
        resource: "ApplicationAccessPoint",
        args: (deployed) => ({ applicationAccessPointName: "terraform-example", policies: [deployed.policy.outputs.policyName], description: "aa" }),
    },
    {
        name: "default",
        resource: "ClientKey",
        args: (deployed) => ({
            aapName: deployed.AAP0.outputs.applicationAccessPointName,
            password,
            notBefore: "2023-09-01T14:11:22Z",
            notAfter: "2028-09-01T14:11:22Z",
            privateKeyDataFile: "./private_key_data_file.txt",
        }),
    },
];

describe("the installed npm packages", () => {
    let directory;
    let emulator;
    let otherEmulator;
    let host;
    let engine;
    let sdk;

    async function deploy(urn, inputs) {
        const checked = await engine.check(urn, {}, inputs);
        assert.deepEqual(checked.failures, []);
        const created = await engine.create(urn, checked.inputs);
        return { urn, id: created.id, inputs: checked.inputs, outputs: created.outputs };
    }

    before(async () => {
        directory = harness.programDirectory("node-artefacts-");
        emulator = await harness.Emulator.start(path.join(directory, "kms-emulator.log"));
        otherEmulator = await harness.Emulator.start(path.join(directory, "other-kms-emulator.log"),
            ["--credential", `${otherAccessKeyId}:${otherAccessKeySecret}`, "--region", "cn-shanghai"]);
        host = await harness.ProviderHost.start(directory, path.join(directory, "host.stderr"));
        engine = new harness.Engine(host, "pulumi-nodejs");
        await engine.configure(harness.stackConfig(emulator));
        await harness.installMocks();
        sdk = harness.loadSdk();
    });

    after(async () => {
        await host?.stop();
        await emulator?.stop();
        await otherEmulator?.stop();
        harness.removeDirectory(directory);
    });

    test("providerBinary() is the platform package's binary, with no cargo on PATH and no variable", () => {
        assert.equal(process.env.ALICLOUD_KMS_PROVIDER_PATH, undefined);
        for (const entry of (process.env.PATH ?? "").split(path.delimiter)) {
            assert.ok(!fs.existsSync(path.join(entry, "cargo")), `cargo is on PATH in ${entry}`);
            assert.ok(!fs.existsSync(path.join(entry, "alicloud-kms-provider")), `a provider binary is on PATH in ${entry}`);
        }
        const binary = sdk.providerBinary();
        const platformPackage = path.dirname(require.resolve("pulumi-alicloud-kms-linux-x64-gnu/package.json", { paths: [path.join(directory, "node_modules")] }));
        assert.equal(binary, path.join(platformPackage, "bin", "alicloud-kms-provider"));
        fs.accessSync(binary, fs.constants.X_OK);
    });

    test("the package ships JavaScript and types, without source maps or TypeScript sources", () => {
        const packageDirectory = path.dirname(require.resolve("pulumi-alicloud-kms/package.json", { paths: [path.join(directory, "node_modules")] }));
        const files = fs.readdirSync(path.join(packageDirectory, "bin"));
        assert.ok(files.includes("index.js") && files.includes("index.d.ts"), files.join(", "));
        assert.deepEqual(files.filter((file) => file.endsWith(".map") || (file.endsWith(".ts") && !file.endsWith(".d.ts"))), []);
        const manifest = JSON.parse(fs.readFileSync(path.join(packageDirectory, "package.json"), "utf8"));
        assert.ok(manifest.peerDependencies["@pulumi/pulumi"], "@pulumi/pulumi is a peer dependency");
        assert.equal(manifest.dependencies, undefined);
        // The program's one copy of @pulumi/pulumi is the one the SDK uses.
        assert.equal(fs.existsSync(path.join(packageDirectory, "node_modules", "@pulumi")), false);
        assert.ok(fs.existsSync(path.join(packageDirectory, "LICENSE")));
    });

    test("the seed example goes through the real Node host, a second pass finds no change, and it is deleted", async () => {
        const deployed = {};
        for (const link of seedChain) {
            const { urn, inputs } = await harness.register(sdk[link.resource], link.name, link.args(deployed));
            deployed[link.name] = await deploy(urn, inputs);
            assert.ok(deployed[link.name].id, `${link.name} has an id`);
        }
        const ruleName = deployed.networkRule.id;
        assert.match(ruleName, /^networkRule-[0-9a-f]{7}$/);
        const policies = (await emulator.control("GET", "policies")).body.policies;
        assert.deepEqual(policies.map((policy) => policy.network_rules), [[ruleName]]);
        assert.equal(deployed.AAP0.id, "terraform-example");
        assert.deepEqual((await emulator.accessPoints()).get("terraform-example").policies, ["terraform-example-policy"]);
        const key = (await emulator.clientKeys()).get(deployed.default.id);
        assert.equal(key.aap_name, "terraform-example");
        assert.ok(isSecret(deployed.default.outputs.password));
        const keyFile = JSON.parse(fs.readFileSync(path.join(directory, "private_key_data_file.txt"), "utf8"));
        assert.equal(keyFile.KeyId, deployed.default.id);

        for (const link of seedChain) {
            const { urn, inputs } = await harness.register(sdk[link.resource], link.name, link.args(deployed));
            const state = deployed[link.name];
            const read = await engine.read(urn, state.id, state.outputs, state.inputs);
            assert.equal(read.id, state.id);
            const checked = await engine.check(urn, state.inputs, inputs);
            assert.deepEqual(checked.failures, []);
            const diff = await engine.diff(urn, state.id, state.inputs, read.outputs, checked.inputs);
            assert.equal(diff.changes, DiffChanges.DIFF_NONE, `${link.name} shows no change`);
        }

        for (const link of [...seedChain].reverse()) {
            const state = deployed[link.name];
            await engine.delete(state.urn, state.id, state.inputs, state.outputs);
        }
        assert.equal((await emulator.clientKeys()).size, 0);
        assert.equal((await emulator.accessPoints()).size, 0);
        assert.deepEqual((await emulator.control("GET", "policies")).body.policies, []);
        assert.deepEqual((await emulator.control("GET", "network-rules")).body.network_rules, []);
    });

    test("a resource with its own settings reaches its own account, and the settings' secret stays out of __provider", async () => {
        const providerSettings = {
            endpoint: otherEmulator.address,
            protocol: "HTTP",
            region: "cn-shanghai",
            accessKey: otherAccessKeyId,
            secretKey: harness.pulumi.secret(otherAccessKeySecret),
        };
        const { urn, inputs } = await harness.register(sdk.ApplicationAccessPoint, "in-shanghai",
            { applicationAccessPointName: "shanghai-aap", policies: ["aa"] }, { providerSettings });
        // What the state keeps: the serialised provider without the secret, the settings as a secret.
        assert.equal(typeof inputs.__provider, "string");
        assert.ok(!inputs.__provider.includes(otherAccessKeySecret), "the serialised provider holds no secret");
        assert.ok(isSecret(inputs.__providerSettings), "the settings are a secret input");
        assert.equal(inputs.__providerSettings.value.secretKey, otherAccessKeySecret);

        const deployed = await deploy(urn, inputs);
        assert.equal(deployed.id, "shanghai-aap");
        assert.ok(isSecret(deployed.inputs.__providerSettings));
        assert.ok(isSecret(deployed.outputs.__providerSettings), "the settings in the outputs are secret too");
        assert.ok((await otherEmulator.accessPoints()).has("shanghai-aap"));
        assert.equal((await emulator.accessPoints()).has("shanghai-aap"), false);

        // Read and delete get only the state, and still reach the same account.
        const read = await engine.read(urn, deployed.id, deployed.outputs, deployed.inputs);
        assert.equal(read.id, "shanghai-aap");
        await engine.delete(urn, deployed.id, deployed.inputs, deployed.outputs);
        assert.equal((await otherEmulator.accessPoints()).size, 0);
    });

    test("options the SDK cannot honour are errors, never dropped", () => {
        const args = { applicationAccessPointName: "refused", policies: ["aa"] };
        const provider = new harness.pulumi.ProviderResource("alicloud", "explicit", {});
        assert.throws(() => new sdk.ApplicationAccessPoint("refused", args, { provider }), /`provider` and `providers` options cannot be honoured.*providerSettings/);
        assert.throws(() => new sdk.ApplicationAccessPoint("refused", args, { providerSettings: { regoin: "cn-shanghai" } }), /unknown provider setting\(s\) `regoin`/);
    });

    test("the import option adopts an existing resource when the program describes it, and names the difference otherwise", async () => {
        const args = { applicationAccessPointName: "adopted-aap", policies: ["aa"], description: "made elsewhere" };
        const original = await harness.register(sdk.ApplicationAccessPoint, "original", args);
        const made = await deploy(original.urn, original.inputs);

        const mismatched = await harness.register(sdk.ApplicationAccessPoint, "adopted", { ...args, description: "something else" }, { import: "adopted-aap" });
        const checkedMismatch = await engine.check(mismatched.urn, {}, mismatched.inputs);
        await assert.rejects(engine.create(mismatched.urn, checkedMismatch.inputs), /cannot import .* differ from the existing resource in `description`/);

        const adopted = await harness.register(sdk.ApplicationAccessPoint, "adopted", args, { import: "adopted-aap" });
        assert.equal(adopted.inputs.__import, "adopted-aap");
        const deployed = await deploy(adopted.urn, adopted.inputs);
        assert.equal(deployed.id, "adopted-aap");
        assert.deepEqual(withoutProvider(deployed.outputs), { applicationAccessPointName: "adopted-aap", policies: ["aa"], description: "made elsewhere" });
        assert.equal((await emulator.accessPoints()).size, 1, "nothing new was created");

        await assert.rejects(deploy(adopted.urn, (await harness.register(sdk.ApplicationAccessPoint, "missing", args, { import: "no-such-aap" })).inputs),
            /cannot import .* no-such-aap: it does not exist/);
        await engine.delete(made.urn, made.id, made.inputs, made.outputs);
    });
});

test("the packed npm package has no lifecycle scripts or devDependencies, and its install warns of none", () => {
    const manifest = JSON.parse(fs.readFileSync(path.join(process.env.KMS_SDK_NODEJS_MODULES, "pulumi-alicloud-kms", "package.json"), "utf8"));
    assert.equal(manifest.scripts, undefined, JSON.stringify(manifest.scripts));
    assert.equal(manifest.devDependencies, undefined, JSON.stringify(manifest.devDependencies));
    assert.ok(manifest.peerDependencies["@pulumi/pulumi"], "the peer dependency stays");
    const installLog = process.env.KMS_SDK_NPM_INSTALL_LOG;
    assert.ok(installLog && fs.existsSync(installLog), "KMS_SDK_NPM_INSTALL_LOG must name npm's output (scripts/test.d/50-artefacts.sh)");
    // npm names every package with install scripts it has not been told to allow; ours must not be
    // among them. (@pulumi/pulumi's protobufjs has a postinstall script of its own.)
    const warnings = fs.readFileSync(installLog, "utf8").split("\n").filter((line) => line.includes("install-scripts"));
    for (const line of warnings) {
        assert.ok(!/pulumi-alicloud-kms/.test(line), `npm warns about our package: ${warnings.join("\n")}`);
    }
});
