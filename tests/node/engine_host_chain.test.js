// Engine-level tests of the TypeScript SDK's NetworkRule and Policy, in @pulumi/pulumi's real
// dynamic-provider host driven over gRPC as the engine drives it (see engine_host.test.js and
// engine_harness.js): create (the rule auto-named from its resource name), update in place,
// replacement, import by name, refresh after an out-of-band change, and delete; and the chain's
// dependencies: a policy still bound to an access point is not deleted, and the error that
// reaches the engine says what to do.

"use strict";

const assert = require("node:assert/strict");
const path = require("node:path");
const { after, before, describe, test } = require("node:test");

const harness = require("./engine_harness");
const { DiffChanges, withoutProvider } = harness;

const keyUser = "RbacPermission/Template/CryptoServiceKeyUser";
const secretUser = "RbacPermission/Template/CryptoServiceSecretUser";

/** Access control rules as a person writes them: indented, names in their own order. */
const rulesJson = (...names) => JSON.stringify({ NetworkRules: names }, null, 2);

describe("the Node dynamic-provider host runs our NetworkRule and Policy", () => {
    let directory;
    let emulator;
    let host;
    let engine;
    let sdk;

    async function deploy(urn, inputs) {
        const checked = await engine.check(urn, {}, inputs);
        assert.deepEqual(checked.failures, []);
        const created = await engine.create(urn, checked.inputs);
        return { urn, id: created.id, inputs: checked.inputs, outputs: created.outputs };
    }

    async function stored(route, key) {
        const { status, body } = await emulator.control("GET", route);
        assert.equal(status, 200);
        return new Map(body[key].map((item) => [item.name, item]));
    }
    const networkRules = () => stored("network-rules", "network_rules");
    const policies = () => stored("policies", "policies");

    before(async () => {
        directory = harness.programDirectory("node-host-chain-");
        emulator = await harness.Emulator.start(path.join(directory, "kms-emulator.log"));
        host = await harness.ProviderHost.start(directory, path.join(directory, "host.stderr"));
        engine = new harness.Engine(host, "pulumi-nodejs");
        await engine.configure(harness.stackConfig(emulator));
        await harness.installMocks();
        sdk = harness.loadSdk();
    });

    after(async () => {
        try {
            await host?.stop();
            await emulator?.stop();
        } finally {
            harness.removeDirectory(directory);
        }
    });

    test("network rule: auto-named create, no change, update in place, refresh, import, replace, delete", async () => {
        const first = await harness.register(sdk.NetworkRule, "office", { sourcePrivateIps: ["10.0.0.1", "192.168.0.0/24"], description: "d" });
        const { urn } = first;
        // The preview checks first (a dynamic-provider host is never asked to preview a create:
        // the checked inputs are what the preview shows), with a value not known yet.
        const preview = await engine.check(urn, {}, { ...first.inputs, description: harness.unknown });
        const deployed = await deploy(urn, first.inputs);
        // Auto-named from the stack and the resource name, which our SDK passes along (the host
        // sends no URN), and the same name the preview showed.
        assert.match(deployed.id, /^office-[0-9a-f]{7}$/);
        assert.equal(preview.inputs.networkRuleName, deployed.id);
        const name = deployed.id;
        assert.deepEqual(withoutProvider(deployed.outputs), { networkRuleName: name, sourcePrivateIps: ["10.0.0.1", "192.168.0.0/24"], description: "d" });
        assert.deepEqual((await networkRules()).get(name).source_private_ip, ["10.0.0.1", "192.168.0.0/24"]);

        // The next run: the name stays, and neither the same program nor the same addresses in
        // another order are a change.
        const again = await engine.check(urn, deployed.inputs, first.inputs);
        assert.equal(again.inputs.networkRuleName, name);
        assert.equal((await engine.diff(urn, name, deployed.inputs, deployed.outputs, again.inputs)).changes, DiffChanges.DIFF_NONE);
        const reordered = await harness.register(sdk.NetworkRule, "office", { sourcePrivateIps: ["192.168.0.0/24", "10.0.0.1"], description: "d" });
        const reorderedChecked = await engine.check(urn, deployed.inputs, reordered.inputs);
        assert.equal((await engine.diff(urn, name, deployed.inputs, deployed.outputs, reorderedChecked.inputs)).changes, DiffChanges.DIFF_NONE);

        // Another address, the description dropped: an update in place.
        const changed = await harness.register(sdk.NetworkRule, "office", { sourcePrivateIps: ["10.0.0.1", "10.0.0.2"] });
        const checked = await engine.check(urn, deployed.inputs, changed.inputs);
        const diff = await engine.diff(urn, name, deployed.inputs, deployed.outputs, checked.inputs);
        assert.deepEqual([diff.changes, diff.replaces], [DiffChanges.DIFF_SOME, []]);
        let updated = await engine.update(urn, name, deployed.inputs, deployed.outputs, checked.inputs);
        assert.deepEqual(withoutProvider(updated), { networkRuleName: name, sourcePrivateIps: ["10.0.0.1", "10.0.0.2"] });
        const rule = (await networkRules()).get(name);
        assert.deepEqual([rule.source_private_ip, rule.description], [["10.0.0.1", "10.0.0.2"], ""]);

        // Changed out of band: the refresh shows it, the update puts it back.
        assert.equal((await emulator.control("PATCH", `network-rules/${name}`, { source_private_ip: ["10.9.9.9"] })).status, 200);
        const refreshed = await engine.read(urn, name, updated, checked.inputs);
        assert.equal(refreshed.id, name);
        assert.deepEqual(refreshed.outputs.sourcePrivateIps, ["10.9.9.9"]);
        const rechecked = await engine.check(urn, refreshed.inputs, changed.inputs);
        assert.equal((await engine.diff(urn, name, refreshed.inputs, refreshed.outputs, rechecked.inputs)).changes, DiffChanges.DIFF_SOME);
        updated = await engine.update(urn, name, refreshed.inputs, refreshed.outputs, checked.inputs);
        assert.deepEqual((await networkRules()).get(name).source_private_ip, ["10.0.0.1", "10.0.0.2"]);

        // Import by name, through the SDK's `import` option (Pulumi's import of a dynamic resource
        // needs a newer host than the lowest @pulumi/pulumi the package supports): the create reads
        // the rule and adopts it, since the program (addresses in another order) describes it.
        const rulesBefore = (await networkRules()).size;
        const adoptedProgram = await harness.register(sdk.NetworkRule, "adopted", { networkRuleName: name, sourcePrivateIps: ["10.0.0.2", "10.0.0.1"] }, { import: name });
        const adopted = await deploy(adoptedProgram.urn, adoptedProgram.inputs);
        assert.equal(adopted.id, name);
        assert.deepEqual([...adopted.outputs.sourcePrivateIps].sort(), ["10.0.0.1", "10.0.0.2"]);
        const adoptedAgain = await engine.check(adoptedProgram.urn, adopted.inputs, adoptedProgram.inputs);
        assert.equal((await engine.diff(adoptedProgram.urn, name, adopted.inputs, adopted.outputs, adoptedAgain.inputs)).changes, DiffChanges.DIFF_NONE);
        assert.equal((await networkRules()).size, rulesBefore, "the import created nothing");

        // A name of the program's own replaces the rule, the new one first.
        const renamed = await harness.register(sdk.NetworkRule, "office", { networkRuleName: "office-renamed", sourcePrivateIps: ["10.0.0.1", "10.0.0.2"] });
        const checkedRename = await engine.check(urn, checked.inputs, renamed.inputs);
        const renameDiff = await engine.diff(urn, name, checked.inputs, updated, checkedRename.inputs);
        assert.deepEqual([renameDiff.replaces, renameDiff.deleteBeforeReplace], [["networkRuleName"], false]);
        const replacement = await engine.create(urn, checkedRename.inputs);
        assert.equal(replacement.id, "office-renamed");
        await engine.delete(urn, name, checked.inputs, updated);
        const names = await networkRules();
        assert.deepEqual([names.has(name), names.has("office-renamed")], [false, true]);

        await engine.delete(urn, replacement.id, checkedRename.inputs, replacement.outputs);
        assert.equal((await networkRules()).has("office-renamed"), false);
    });

    const policyArgs = (overrides = {}) => ({
        policyName: "engine-policy",
        kmsInstanceId: "kst-hzz634e67d126u9p9example",
        permissions: [keyUser],
        resources: ["key/*"],
        accessControlRules: rulesJson("rule-b", "rule-a"),
        description: "d",
        ...overrides,
    });

    test("policy: create, no change, update in place, refresh, import, replace, delete", async () => {
        const first = await harness.register(sdk.Policy, "policy", policyArgs());
        const { urn } = first;
        const deployed = await deploy(urn, first.inputs);
        assert.equal(deployed.id, "engine-policy");
        // The rules are JSON: kept in canonical form, compact with the names sorted.
        assert.equal(deployed.outputs.accessControlRules, '{"NetworkRules":["rule-a","rule-b"]}');
        assert.deepEqual((await policies()).get("engine-policy").network_rules, ["rule-a", "rule-b"]);
        const again = await engine.check(urn, deployed.inputs, first.inputs);
        assert.equal((await engine.diff(urn, deployed.id, deployed.inputs, deployed.outputs, again.inputs)).changes, DiffChanges.DIFF_NONE);

        const changedArgs = policyArgs({ permissions: [secretUser, keyUser], resources: ["secret/*"], accessControlRules: rulesJson("rule-a") });
        const changed = await harness.register(sdk.Policy, "policy", changedArgs);
        const checked = await engine.check(urn, deployed.inputs, changed.inputs);
        const diff = await engine.diff(urn, deployed.id, deployed.inputs, deployed.outputs, checked.inputs);
        assert.deepEqual([diff.changes, diff.replaces], [DiffChanges.DIFF_SOME, []]);
        let updated = await engine.update(urn, deployed.id, deployed.inputs, deployed.outputs, checked.inputs);
        const policy = (await policies()).get("engine-policy");
        assert.deepEqual([policy.permissions, policy.resources, policy.network_rules], [[secretUser, keyUser], ["secret/*"], ["rule-a"]]);

        assert.equal((await emulator.control("PATCH", "policies/engine-policy", { network_rules: ["rule-z"], description: "by hand" })).status, 200);
        const refreshed = await engine.read(urn, deployed.id, updated, checked.inputs);
        assert.deepEqual([refreshed.outputs.accessControlRules, refreshed.outputs.description], ['{"NetworkRules":["rule-z"]}', "by hand"]);
        const rechecked = await engine.check(urn, refreshed.inputs, changed.inputs);
        assert.equal((await engine.diff(urn, deployed.id, refreshed.inputs, refreshed.outputs, rechecked.inputs)).changes, DiffChanges.DIFF_SOME);
        updated = await engine.update(urn, deployed.id, refreshed.inputs, refreshed.outputs, checked.inputs);
        assert.deepEqual((await policies()).get("engine-policy").network_rules, ["rule-a"]);

        // Import by name (the SDK's `import` option): no change, whatever the layout of the JSON.
        const policiesBefore = [...(await policies()).keys()];
        const adoptedProgram = await harness.register(sdk.Policy, "adopted", { ...changedArgs, permissions: [keyUser, secretUser], accessControlRules: '{ "NetworkRules" : ["rule-a"] }' }, { import: "engine-policy" });
        const adopted = await deploy(adoptedProgram.urn, adoptedProgram.inputs);
        assert.equal(adopted.id, "engine-policy");
        const adoptedAgain = await engine.check(adoptedProgram.urn, adopted.inputs, adoptedProgram.inputs);
        assert.equal((await engine.diff(adoptedProgram.urn, adopted.id, adopted.inputs, adopted.outputs, adoptedAgain.inputs)).changes, DiffChanges.DIFF_NONE);
        assert.deepEqual([...(await policies()).keys()], policiesBefore, "the import created nothing");

        // Another KMS instance replaces the policy under the same name: the old one goes first.
        const moved = await harness.register(sdk.Policy, "policy", { ...changedArgs, kmsInstanceId: "kst-other" });
        const checkedMove = await engine.check(urn, checked.inputs, moved.inputs);
        const moveDiff = await engine.diff(urn, deployed.id, checked.inputs, updated, checkedMove.inputs);
        assert.deepEqual([moveDiff.replaces, moveDiff.deleteBeforeReplace], [["kmsInstanceId"], true]);
        await engine.delete(urn, deployed.id, checked.inputs, updated);
        const replacement = await engine.create(urn, checkedMove.inputs);
        assert.deepEqual([replacement.id, (await policies()).get("engine-policy").kms_instance], ["engine-policy", "kst-other"]);

        await engine.delete(urn, replacement.id, checkedMove.inputs, replacement.outputs);
        assert.equal((await policies()).has("engine-policy"), false);
    });

    test("a policy still bound to an access point is kept, and the engine learns what to do", async () => {
        const policyProgram = await harness.register(sdk.Policy, "bound", policyArgs({ policyName: "engine-bound" }));
        const policy = await deploy(policyProgram.urn, policyProgram.inputs);
        const pointProgram = await harness.register(sdk.ApplicationAccessPoint, "bound-aap", { applicationAccessPointName: "engine-bound-aap", policies: ["engine-bound"] });
        const point = await deploy(pointProgram.urn, pointProgram.inputs);

        await assert.rejects(engine.delete(policy.urn, policy.id, policy.inputs, policy.outputs), (error) => {
            // The provider's own check: KMS would have deleted it.
            assert.match(error.details, /still in use by the application access points engine-bound-aap/);
            assert.match(error.details, /remove the policy from the policies of those access points \(or delete them\) first/);
            return true;
        });
        assert.equal((await policies()).has("engine-bound"), true);

        // In dependency order, as the engine deletes a stack, both go.
        await engine.delete(point.urn, point.id, point.inputs, point.outputs);
        await engine.delete(policy.urn, policy.id, policy.inputs, policy.outputs);
        assert.equal((await policies()).has("engine-bound"), false);
    });
});
