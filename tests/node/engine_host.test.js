// Engine-level tests of the TypeScript SDK: @pulumi/pulumi's real dynamic-provider host
// (cmd/dynamic-provider, what pulumi-resource-pulumi-nodejs runs) is driven over gRPC the way the
// engine drives it (Configure, then Check, Diff, Create, Read, Update, Delete), with the inputs
// our SDK's classes register in a program, `__provider` (the closure-serialised provider object)
// included. The host evaluates our provider, whose bridge spawns the real alicloud-kms-provider
// binary, which talks to a local kms-emulator. One host and one emulator serve the whole file.
//
// What the engine does around the host (config in `args`, secrets removed for a provider that
// does not accept them, the secret bit put back on outputs) is modelled in engine_harness.js.

"use strict";

const assert = require("node:assert/strict");
const fs = require("node:fs");
const path = require("node:path");
const { after, before, describe, test } = require("node:test");

const harness = require("./engine_harness");
const { DiffChanges, secret, withoutProvider } = harness;

const password = "YouPassword123!";
const notBefore = "2023-09-01T14:11:22Z";
const notAfter = "2028-09-01T14:11:22Z";

describe("the Node dynamic-provider host runs our SDK's provider", () => {
    let directory;
    let emulator;
    let host;
    let engine;
    let configured;
    let sdk;
    let keysAccessPoint;

    const clientKeyArgs = (aapName, privateKeyDataFile, keyPassword = password) =>
        ({ aapName, password: keyPassword, notBefore, notAfter, privateKeyDataFile });

    /** What `pulumi up` does for a new resource: Check, then Create with the checked inputs. */
    async function deploy(urn, inputs) {
        const checked = await engine.check(urn, {}, inputs);
        assert.deepEqual(checked.failures, []);
        const created = await engine.create(urn, checked.inputs);
        return { urn, id: created.id, inputs: checked.inputs, outputs: created.outputs };
    }

    function keyFile(name) {
        const file = path.join(directory, name);
        assert.equal(fs.statSync(file).mode & 0o777, 0o600);
        return JSON.parse(fs.readFileSync(file, "utf8"));
    }

    before(async () => {
        directory = harness.programDirectory("node-host-");
        emulator = await harness.Emulator.start(path.join(directory, "kms-emulator.log"));
        host = await harness.ProviderHost.start(directory, path.join(directory, "host.stderr"));
        engine = new harness.Engine(host, "pulumi-nodejs");
        configured = await engine.configure(harness.stackConfig(emulator));
        await harness.installMocks();
        sdk = harness.loadSdk();
        const { urn, inputs } = await harness.register(sdk.ApplicationAccessPoint, "keys-aap", { applicationAccessPointName: "engine-keys", policies: ["aa"] });
        keysAccessPoint = await deploy(urn, inputs);
    });

    after(async () => {
        try {
            if (keysAccessPoint !== undefined && ![...(await emulator.clientKeys()).values()].some((key) => key.aap_name === "engine-keys")) {
                await engine.delete(keysAccessPoint.urn, keysAccessPoint.id, keysAccessPoint.inputs, keysAccessPoint.outputs);
            }
        } finally {
            await host?.stop();
            await emulator?.stop();
            harness.removeDirectory(directory);
        }
    });

    test("configure is answered like any dynamic provider", () => {
        assert.equal(configured.getAcceptsecrets(), false);
        assert.equal(configured.getSupportspreview(), false);
        assert.equal(engine.acceptSecrets, false);
    });

    test("the program registers our provider object as closure-serialised text", async () => {
        const { type, inputs } = await harness.register(sdk.ClientKey, "key", clientKeyArgs("terraform-example", "./private_key_data_file.txt"));
        assert.equal(type, "pulumi-nodejs:dynamic/alicloud-kms:ClientKey");
        assert.equal(typeof inputs.__provider, "string");
        assert.match(inputs.__provider, /^exports\.handler = /);
        // The object captures plain data and requires the bridge when called; no native module is in it.
        assert.match(inputs.__provider, /"alicloud-kms:index:ClientKey"/);
        assert.match(inputs.__provider, /"pulumi-alicloud-kms\/bin\/bridge"/);
        assert.doesNotMatch(inputs.__provider, /child_process|readline/);
        assert.deepEqual(withoutProvider(inputs), {
            // The resource name and the stack, which check needs for auto-naming (the host sends
            // it no URN).
            __resourceName: "key",
            __stack: `${harness.project}/${harness.stack}`,
            aapName: "terraform-example",
            password: secret(password),
            notBefore,
            notAfter,
            privateKeyDataFile: "./private_key_data_file.txt",
        });
    });

    test("application access point: create, read, update in place, replace, delete", async () => {
        const first = await harness.register(sdk.ApplicationAccessPoint, "aap", { applicationAccessPointName: "engine-aap", policies: ["aa"], description: "aa" });
        const { urn } = first;
        const deployed = await deploy(urn, first.inputs);
        assert.equal(deployed.id, "engine-aap");
        assert.deepEqual(withoutProvider(deployed.outputs), { applicationAccessPointName: "engine-aap", policies: ["aa"], description: "aa" });
        assert.equal(deployed.outputs.__provider, first.inputs.__provider);
        assert.deepEqual((await emulator.accessPoints()).get("engine-aap").policies, ["aa"]);

        const read = await engine.read(urn, deployed.id, deployed.outputs, deployed.inputs);
        assert.equal(read.id, "engine-aap");
        assert.deepEqual(withoutProvider(read.outputs), withoutProvider(deployed.outputs));
        assert.deepEqual(withoutProvider(read.inputs), { applicationAccessPointName: "engine-aap", policies: ["aa"], description: "aa" });

        const unchanged = await engine.check(urn, deployed.inputs, first.inputs);
        assert.equal((await engine.diff(urn, deployed.id, deployed.inputs, deployed.outputs, unchanged.inputs)).changes, DiffChanges.DIFF_NONE);

        const morePolicies = await harness.register(sdk.ApplicationAccessPoint, "aap", { applicationAccessPointName: "engine-aap", policies: ["aa", "bb"], description: "aa" });
        const checked = await engine.check(urn, deployed.inputs, morePolicies.inputs);
        assert.deepEqual(checked.failures, []);
        const diff = await engine.diff(urn, deployed.id, deployed.inputs, deployed.outputs, checked.inputs);
        assert.equal(diff.changes, DiffChanges.DIFF_SOME);
        assert.deepEqual(diff.replaces, []);
        const updated = await engine.update(urn, deployed.id, deployed.inputs, deployed.outputs, checked.inputs);
        assert.deepEqual(updated.policies, ["aa", "bb"]);
        assert.deepEqual((await emulator.accessPoints()).get("engine-aap").policies, ["aa", "bb"]);

        // A new name replaces it; it cannot collide with the old one, so the new one comes first.
        const renamed = await harness.register(sdk.ApplicationAccessPoint, "aap", { applicationAccessPointName: "engine-aap-renamed", policies: ["aa", "bb"], description: "aa" });
        const checkedRename = await engine.check(urn, checked.inputs, renamed.inputs);
        const renameDiff = await engine.diff(urn, deployed.id, checked.inputs, updated, checkedRename.inputs);
        assert.equal(renameDiff.changes, DiffChanges.DIFF_SOME);
        assert.deepEqual(renameDiff.replaces, ["applicationAccessPointName"]);
        assert.equal(renameDiff.deleteBeforeReplace, false);
        const replacement = await engine.create(urn, checkedRename.inputs);
        assert.equal(replacement.id, "engine-aap-renamed");
        await engine.delete(urn, deployed.id, checked.inputs, updated);
        const points = await emulator.accessPoints();
        assert.equal(points.has("engine-aap"), false);
        assert.deepEqual(points.get("engine-aap-renamed").policies, ["aa", "bb"]);

        await engine.delete(urn, replacement.id, checkedRename.inputs, replacement.outputs);
        assert.equal((await emulator.accessPoints()).has("engine-aap-renamed"), false);
    });

    test("a bad client key is a check failure naming the property", async () => {
        const { urn, inputs } = await harness.register(sdk.ClientKey, "bad-key", { aapName: "engine-keys", password: "short", notBefore: notAfter, notAfter: notBefore });
        const checked = await engine.check(urn, {}, inputs);
        assert.deepEqual(checked.failures.map(([property]) => property), ["password", "password", "notAfter"]);
        assert.equal(checked.failures[0][1], "password must be 8 to 64 characters long, not 5");
        assert.match(checked.failures[1][1], /at least two/);
        assert.match(checked.failures[2][1], /must be later than/);
        assert.ok(checked.failures.every(([, reason]) => !reason.includes("short")));
    });

    test("client key: create writes the key file, then read, diff and delete", async () => {
        const { urn, inputs } = await harness.register(sdk.ClientKey, "key", clientKeyArgs("engine-keys", "./private_key_data_file.txt"));
        const deployed = await deploy(urn, inputs);
        assert.match(deployed.id, /^KAAP\./);
        assert.deepEqual(withoutProvider(deployed.outputs), {
            aapName: "engine-keys",
            password: secret(password),
            notBefore,
            notAfter,
            privateKeyDataFile: "./private_key_data_file.txt",
            createTime: deployed.outputs.createTime,
        });
        assert.equal((await emulator.clientKeys()).get(deployed.id).aap_name, "engine-keys");
        const written = keyFile("private_key_data_file.txt");
        assert.equal(written.KeyId, deployed.id);
        assert.ok(written.PrivateKeyData.length > 1000);
        // The binary's log notification went through pulumi.log (to the console: the host has
        // no engine connection to log to, and the engine shows a plugin's output), and no secret
        // went anywhere near it.
        const diagnostics = host.diagnostics();
        assert.match(diagnostics, new RegExp(`info: \\[runtime\\] wrote the private key of client key ${deployed.id.replace(".", "\\.")} to `));
        assert.ok(!diagnostics.includes(password));
        assert.ok(!diagnostics.includes(written.PrivateKeyData));

        const read = await engine.read(urn, deployed.id, deployed.outputs, deployed.inputs);
        assert.equal(read.id, deployed.id);
        assert.deepEqual(withoutProvider(read.outputs), withoutProvider(deployed.outputs));
        const again = await engine.check(urn, deployed.inputs, inputs);
        assert.equal((await engine.diff(urn, deployed.id, deployed.inputs, read.outputs, again.inputs)).changes, DiffChanges.DIFF_NONE);

        await engine.delete(urn, deployed.id, deployed.inputs, read.outputs);
        assert.equal((await emulator.clientKeys()).has(deployed.id), false);
        assert.equal(fs.existsSync(path.join(directory, "private_key_data_file.txt")), false);
    });

    test("a replacement that keeps the key file deletes the old key first", async () => {
        const { urn, inputs } = await harness.register(sdk.ClientKey, "rotated", clientKeyArgs("engine-keys", "./rotated.json"));
        const old = await deploy(urn, inputs);

        const otherAap = await harness.register(sdk.ClientKey, "rotated", clientKeyArgs("engine-other", "./rotated.json"));
        const aapDiff = await engine.diff(urn, old.id, old.inputs, old.outputs, (await engine.check(urn, old.inputs, otherAap.inputs)).inputs);
        assert.equal(aapDiff.changes, DiffChanges.DIFF_SOME);
        assert.deepEqual(aapDiff.replaces, ["aapName"]);

        const newPassword = await harness.register(sdk.ClientKey, "rotated", clientKeyArgs("engine-keys", "./rotated.json", "Rotated-Passw0rd"));
        // The engine calls check again without olds before it replaces.
        const checked = await engine.check(urn, {}, newPassword.inputs);
        const diff = await engine.diff(urn, old.id, old.inputs, old.outputs, checked.inputs);
        assert.equal(diff.changes, DiffChanges.DIFF_SOME);
        assert.deepEqual(diff.replaces, ["password"]);
        // The same key file: a create refuses to replace the file of a live key (its only private
        // key), so the host passes on that the old key must go first.
        assert.equal(diff.deleteBeforeReplace, true);

        // The engine's order for deleteBeforeReplace: delete the old key (its file goes with it),
        // then create the new one.
        await engine.delete(urn, old.id, old.inputs, old.outputs);
        assert.equal(fs.existsSync(path.join(directory, "rotated.json")), false);
        const replacement = await engine.create(urn, checked.inputs);
        assert.notEqual(replacement.id, old.id);
        assert.ok(harness.isSecret(replacement.outputs.password));
        // The file ends with the new key, and no old key is left in KMS.
        assert.equal(keyFile("rotated.json").KeyId, replacement.id);
        const keys = await emulator.clientKeys();
        assert.equal(keys.has(old.id), false);
        assert.equal(keys.has(replacement.id), true);

        await engine.delete(urn, replacement.id, checked.inputs, replacement.outputs);
        assert.equal(fs.existsSync(path.join(directory, "rotated.json")), false);
    });

    test("a replacement with a new key file creates the new key first", async () => {
        const { urn, inputs } = await harness.register(sdk.ClientKey, "moved", clientKeyArgs("engine-keys", "./moved-old.json"));
        const old = await deploy(urn, inputs);
        const moved = await harness.register(sdk.ClientKey, "moved", clientKeyArgs("engine-keys", "./moved-new.json"));
        const checked = await engine.check(urn, {}, moved.inputs);
        const diff = await engine.diff(urn, old.id, old.inputs, old.outputs, checked.inputs);
        assert.deepEqual(diff.replaces, ["privateKeyDataFile"]);
        assert.equal(diff.deleteBeforeReplace, false);
        // Create-before-delete, as the engine replaces by default.
        const replacement = await engine.create(urn, checked.inputs);
        assert.equal(keyFile("moved-new.json").KeyId, replacement.id);
        await engine.delete(urn, old.id, old.inputs, old.outputs);
        assert.equal((await emulator.clientKeys()).has(old.id), false);
        assert.equal(fs.existsSync(path.join(directory, "moved-old.json")), false);
        await engine.delete(urn, replacement.id, checked.inputs, replacement.outputs);
    });

    test("refresh finds a client key deleted out of band", async () => {
        const { urn, inputs } = await harness.register(sdk.ClientKey, "drifted", clientKeyArgs("engine-keys", "./drifted.json"));
        const deployed = await deploy(urn, inputs);
        const removed = await emulator.control("DELETE", `client-keys/${deployed.id}`);
        assert.deepEqual(removed, { status: 200, body: { deleted: deployed.id } });

        const read = await engine.read(urn, deployed.id, deployed.outputs, deployed.inputs);
        assert.equal(read.id, "");
    });

    test("rotating a resource's secret key updates its state, then refresh and destroy use the new key", async () => {
        // Issue 17 item 7: the account's key changes (the emulator restarts on the same address and
        // state with the new secret only); the program's new settings are an update in place that
        // calls nothing, and the state then holds them, secret.
        const keyId = "rotated-access-key-id";
        const state = path.join(directory, "rotation-state.json");
        const old = await harness.Emulator.start(path.join(directory, "old.log"), ["--credential", `${keyId}:old-secret-value`, "--state", state]);
        const address = old.address;
        const settings = (secretKey) => ({ endpoint: address, protocol: "HTTP", region: "cn-hangzhou", accessKey: keyId, secretKey: harness.pulumi.secret(secretKey) });
        let deployed;
        let urn;
        try {
            const registered = await harness.register(sdk.ApplicationAccessPoint, "rotated",
                { applicationAccessPointName: "rotated-aap", policies: ["aa"] }, { providerSettings: settings("old-secret-value") });
            urn = registered.urn;
            deployed = await deploy(urn, registered.inputs);
        } finally {
            await old.stop();
        }
        const rotatedEmulator = await harness.Emulator.start(path.join(directory, "new.log"),
            ["--listen", address, "--credential", `${keyId}:new-secret-value`, "--state", state]);
        try {
            assert.equal(rotatedEmulator.address, address);
            // The state's settings no longer work: what a refresh would meet without the update.
            await assert.rejects(engine.read(urn, deployed.id, deployed.outputs, deployed.inputs), /SignatureDoesNotMatch/);

            const rotated = await harness.register(sdk.ApplicationAccessPoint, "rotated",
                { applicationAccessPointName: "rotated-aap", policies: ["aa"] }, { providerSettings: settings("new-secret-value") });
            const checked = await engine.check(urn, deployed.inputs, rotated.inputs);
            assert.deepEqual(checked.failures, []);
            const diff = await engine.diff(urn, deployed.id, deployed.inputs, deployed.outputs, checked.inputs);
            assert.equal(diff.changes, DiffChanges.DIFF_SOME);
            assert.deepEqual(diff.replaces, []);
            const callsBefore = (await rotatedEmulator.control("GET", "calls")).body;
            const updated = await engine.update(urn, deployed.id, deployed.inputs, deployed.outputs, checked.inputs);
            assert.deepEqual((await rotatedEmulator.control("GET", "calls")).body, callsBefore, "the update called nothing");
            assert.ok(harness.isSecret(updated.__providerSettings), "the new settings stay secret in the state");
            assert.equal(updated.__providerSettings.value.secretKey, "new-secret-value");
            assert.equal(updated.applicationAccessPointName, "rotated-aap");

            // The same program again: no change.
            const again = await engine.check(urn, checked.inputs, rotated.inputs);
            assert.equal((await engine.diff(urn, deployed.id, checked.inputs, updated, again.inputs)).changes, DiffChanges.DIFF_NONE);
            assert.equal((await engine.read(urn, deployed.id, updated, checked.inputs)).id, "rotated-aap");
            await engine.delete(urn, deployed.id, checked.inputs, updated);
            assert.equal((await rotatedEmulator.accessPoints()).size, 0);
        } finally {
            await rotatedEmulator.stop();
        }
    });

    test("a KMS error reaches the engine with the binary's message", async () => {
        const { urn, inputs } = await harness.register(sdk.ClientKey, "orphan", clientKeyArgs("engine-no-such-aap", "./orphan.json"));
        const checked = await engine.check(urn, {}, inputs);
        assert.deepEqual(checked.failures, []);
        await assert.rejects(engine.create(urn, checked.inputs), (error) => {
            assert.equal(error.code, harness.grpcStatus.UNKNOWN);
            // The access point's keys are listed before a key is created, so that is what fails.
            assert.match(error.details, /^KMS refused ListClientKeys: Forbidden\.ResourceNotFound/);
            assert.match(error.details, /create the application access point engine-no-such-aap first/);
            assert.match(error.details, /RequestId [0-9a-f-]+/);
            assert.ok(!error.details.includes(password));
            return true;
        });
        assert.equal(fs.existsSync(path.join(directory, "orphan.json")), false);
    });
    test("a preview keeps an access point name that is not known yet", async () => {
        // During a preview the access point of a new client key does not exist yet, so the engine
        // sends its name as the unknown sentinel; check keeps it, and against an existing key,
        // diff plans a replacement.
        const { urn, inputs } = await harness.register(sdk.ClientKey, "previewed", clientKeyArgs("engine-keys", "./previewed.json"));
        const checked = await engine.check(urn, {}, { ...inputs, aapName: harness.unknown });
        assert.deepEqual(checked.failures, []);
        assert.equal(checked.inputs.aapName, harness.unknown);
        assert.deepEqual(checked.inputs.password, secret(password));

        const deployed = await deploy(urn, inputs);
        const diff = await engine.diff(urn, deployed.id, deployed.inputs, deployed.outputs, checked.inputs);
        assert.equal(diff.changes, DiffChanges.DIFF_SOME);
        assert.deepEqual(diff.replaces, ["aapName"]);
        await engine.delete(urn, deployed.id, deployed.inputs, deployed.outputs);
    });

    test("the engine may create and delete client keys in parallel", async () => {
        // The engine runs independent resources at once; our provider multiplexes them over its one child.
        const names = Array.from({ length: 8 }, (_, number) => `parallel-${number}`);
        const registered = [];
        for (const name of names) {
            registered.push(await harness.register(sdk.ClientKey, name, clientKeyArgs("engine-keys", `./${name}.json`)));
        }
        const deployed = await Promise.all(registered.map(({ urn, inputs }) => deploy(urn, inputs)));
        const ids = new Set(deployed.map((resource) => resource.id));
        assert.equal(ids.size, names.length);
        const keys = await emulator.clientKeys();
        assert.ok([...ids].every((id) => keys.has(id)));
        names.forEach((name, index) => assert.equal(keyFile(`${name}.json`).KeyId, deployed[index].id));
        await Promise.all(deployed.map((resource) => engine.delete(resource.urn, resource.id, resource.inputs, resource.outputs)));
        const remaining = await emulator.clientKeys();
        assert.ok([...ids].every((id) => !remaining.has(id)));
    });
    test("a client key whose read-back failed is a partial failure the engine keeps", async () => {
        // The key is created and its file written, but reading it back fails: the binary answers
        // resource_init_failed, and the Node host passes it on as ErrorResourceInitFailed with
        // the id and the properties (__provider included), which the engine keeps in its state.
        assert.equal((await emulator.control("PUT", "faults/GetClientKey", { server_error_ratio: 1.0 })).status, 200);
        const { urn, inputs } = await harness.register(sdk.ClientKey, "half-made", clientKeyArgs("engine-keys", "./half-made.json"));
        let failure;
        try {
            const checked = await engine.check(urn, {}, inputs);
            await assert.rejects(engine.create(urn, checked.inputs), (error) => {
                assert.equal(error.code, harness.grpcStatus.UNKNOWN);
                assert.match(error.details, /^ClientKey KAAP\.[0-9a-f-]+ was created but is not fully initialised/);
                failure = harness.resourceInitFailure(error);
                return true;
            });
        } finally {
            assert.equal((await emulator.control("DELETE", "faults/GetClientKey")).status, 200);
        }
        assert.ok(failure !== undefined, "the error carries ErrorResourceInitFailed");
        assert.match(failure.id, /^KAAP\./);
        assert.equal(failure.properties.__provider, inputs.__provider);
        assert.equal(failure.properties.aapName, "engine-keys");
        assert.equal(failure.properties.createTime, undefined);
        assert.deepEqual(failure.properties.password, secret(password));
        assert.match(failure.reasons[0], /GetClientKey/);
        assert.ok((await emulator.clientKeys()).has(failure.id));
        assert.equal(keyFile("half-made.json").KeyId, failure.id);

        // What the engine keeps is enough to refresh and delete the key.
        const read = await engine.read(urn, failure.id, failure.properties, inputs);
        assert.equal(read.id, failure.id);
        assert.equal(read.outputs.createTime, (await emulator.clientKeys()).get(failure.id).create_time);
        await engine.delete(urn, failure.id, inputs, read.outputs);
        assert.equal((await emulator.clientKeys()).has(failure.id), false);
    });
    test("a taken name advises the import option, not `pulumi import`", async () => {
        const first = await harness.register(sdk.NetworkRule, "taken-first", { networkRuleName: "engine-taken", sourcePrivateIps: ["10.1.0.0/16"] });
        const deployed = await deploy(first.urn, first.inputs);
        try {
            const { urn, inputs } = await harness.register(sdk.NetworkRule, "taken-second", { networkRuleName: "engine-taken", sourcePrivateIps: ["10.2.0.0/16"] });
            const checked = await engine.check(urn, {}, inputs);
            await assert.rejects(engine.create(urn, checked.inputs), (error) => {
                assert.match(error.details, /a network rule named engine-taken already exists/);
                assert.ok(error.details.includes('adopt it with the `import` resource option (`{ import: "engine-taken" }`)'), error.details);
                assert.ok(!error.details.includes("pulumi import"), error.details);
                return true;
            });
        } finally {
            await engine.delete(first.urn, deployed.id, deployed.inputs, deployed.outputs);
        }
    });

    test("contradictory provider settings fail the preview naming providerSettings", async () => {
        const providerSettings = { accessKey: "LTAI-other", secretKey: "other-secret", credentialsUri: "http://127.0.0.1:9/credentials" };
        const { urn, inputs } = await harness.register(sdk.NetworkRule, "two-credentials", { sourcePrivateIps: ["10.3.0.0/16"] }, { providerSettings });
        await assert.rejects(engine.check(urn, {}, inputs), (error) => {
            assert.match(error.details, /invalid providerSettings: /);
            assert.match(error.details, /credentialsUri/);
            assert.match(error.details, /fix the providerSettings of this resource/);
            assert.ok(!error.details.includes("alicloud-kms:config") && !error.details.includes("the provider config"), error.details);
            assert.ok(!error.details.includes("other-secret"));
            return true;
        });
    });
});
