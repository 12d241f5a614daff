// Tests of the Node SDK's runtime helpers (rpc.ts, bridge.ts, dynamicProvider.ts) and generated
// classes that need no provider binary: JSON-RPC framing and multiplexing against a scripted
// child process over real pipes, errors and logs, closure serialisation of the provider object,
// and the resource classes under Pulumi's mocks.
//
// Run by scripts/test.d/30-sdk.sh with KMS_SDK_NODEJS_BUILD pointing at the compiled SDK (whose
// node_modules resolves @pulumi/pulumi) and KMS_TEST_PYTHON running the scripted child.

"use strict";

const assert = require("node:assert/strict");
const childProcess = require("node:child_process");
const fs = require("node:fs");
const os = require("node:os");
const path = require("node:path");
const test = require("node:test");

const build = process.env.KMS_SDK_NODEJS_BUILD;
const python = process.env.KMS_TEST_PYTHON;
assert.ok(build && python, "KMS_SDK_NODEJS_BUILD and KMS_TEST_PYTHON must be set");

const rpc = require(path.join(build, "rpc.js"));
const bridge = require(path.join(build, "bridge.js"));
const options = require(path.join(build, "options.js"));
const { dynamicProvider } = require(path.join(build, "dynamicProvider.js"));
const sdk = require(path.join(build, "index.js"));
const pulumi = require(require.resolve("@pulumi/pulumi", { paths: [build] }));

const scriptedProvider = path.join(__dirname, "scripted_provider.py");

function startChild(script, logs) {
    const directory = fs.mkdtempSync(path.join(os.tmpdir(), "scripted-provider-"));
    const scriptPath = path.join(directory, "script.json");
    fs.writeFileSync(scriptPath, JSON.stringify(script));
    return new rpc.ProviderProcess({
        command: python,
        args: [scriptedProvider],
        env: { ...process.env, SCRIPTED_PROVIDER_SCRIPT: scriptPath },
        onLog: logs === undefined ? undefined : (entry) => logs.push(entry),
    });
}

test("replies reach their own callers when answered out of order", async () => {
    const child = startChild({ hold: { method: "slow", count: 4 } });
    try {
        const results = await Promise.all([0, 1, 2, 3].map((number) => child.request("slow", { number })));
        results.forEach((result, number) => assert.deepEqual(result.params, { number }));
    } finally {
        child.stop();
    }
});

test("configure goes first, and is replayed to a new child after a crash", async () => {
    const child = startChild({ exit_on: { crash: 3 } });
    try {
        const configured = await child.configure({ variables: { "alicloud-kms:config:region": "cn-beijing" }, acceptSecrets: false });
        assert.deepEqual(configured.params.variables, { "alicloud-kms:config:region": "cn-beijing" });
        await assert.rejects(child.request("crash", {}), (error) => {
            assert.ok(error instanceof rpc.ProviderError);
            assert.match(error.message, /exited \(exit code 3\) before answering `crash`/);
            assert.equal(error.kind, "transport");
            return true;
        });
        const after = await child.request("check", {});
        assert.deepEqual(after.history, ["configure", "check"]);
        assert.deepEqual(after.params, {});
    } finally {
        child.stop();
    }
});

test("a JSON-RPC error becomes a ProviderError with the binary's message", async () => {
    const message = "kms rejected CreateClientKey: Forbidden.AapNotFound (RequestId: 5B1F-AB)";
    const child = startChild({ replies: { create: { error: { code: -32052, message, data: { kind: "kms_service", requestId: "5B1F-AB" } } } } });
    try {
        await assert.rejects(child.request("create", {}), (error) => {
            assert.equal(error.message, message);
            assert.equal(error.code, -32052);
            assert.equal(error.kind, "kms_service");
            assert.equal(error.data.requestId, "5B1F-AB");
            return true;
        });
    } finally {
        child.stop();
    }
});

test("log notifications and junk lines reach the log callback", async () => {
    const logs = [];
    const child = startChild({ junk_first: true, logs: { create: [{ severity: "warning", message: "retrying", urn: "urn:x" }] } }, logs);
    try {
        await child.request("create", {});
        assert.ok(logs.some((entry) => entry.severity === "warning" && entry.message === "retrying" && entry.urn === "urn:x"));
        assert.ok(logs.some((entry) => /not JSON/.test(entry.message)));
    } finally {
        child.stop();
    }
});

test("the binary is found through the variable, then PATH", () => {
    const directory = fs.mkdtempSync(path.join(os.tmpdir(), "provider-path-"));
    const binary = path.join(directory, "alicloud-kms-provider");
    fs.writeFileSync(binary, "#!/bin/sh\n", { mode: 0o755 });
    assert.equal(rpc.findProviderBinary({ PATH: directory }), binary);
    assert.equal(rpc.findProviderBinary({ ALICLOUD_KMS_PROVIDER_PATH: binary, PATH: "" }), binary);
    assert.throws(() => rpc.findProviderBinary({ ALICLOUD_KMS_PROVIDER_PATH: path.join(directory, "missing") }), /is not an executable file/);
    // Nothing installed here (no platform package next to this build): the error says how to get one.
    assert.throws(() => rpc.findProviderBinary({ PATH: path.join(directory, "empty") }),
        /pulumi-alicloud-kms-linux-x64-gnu is not installed.*cargo install --path \.`\) and put it on PATH, or set ALICLOUD_KMS_PROVIDER_PATH/);
});

test("the platform package is named after the platform, the architecture and, on Linux, the C library", () => {
    assert.equal(rpc.platformPackageName("linux", "x64", "gnu"), "pulumi-alicloud-kms-linux-x64-gnu");
    assert.equal(rpc.platformPackageName("linux", "arm64", "musl"), "pulumi-alicloud-kms-linux-arm64-musl");
    assert.equal(rpc.platformPackageName("darwin", "arm64", "gnu"), "pulumi-alicloud-kms-darwin-arm64");
    // This machine runs Node on glibc.
    assert.equal(rpc.platformPackageName(), `pulumi-alicloud-kms-${process.platform}-${process.arch}-gnu`);
});

test("options a dynamic resource cannot honour are refused, settings and import become inputs", () => {
    const schema = { names: ["region", "secretKey"], secretNames: ["secretKey"] };
    assert.throws(() => options.splitResourceOptions("ClientKey", { provider: {} }, schema), /ClientKey: the `provider` and `providers` options cannot be honoured/);
    assert.throws(() => options.splitResourceOptions("ClientKey", { providers: { x: {} } }, schema), /cannot be honoured/);
    assert.throws(() => options.splitResourceOptions("ClientKey", { providerSettings: { regoin: "x" } }, schema), /unknown provider setting\(s\) `regoin`; the settings are region, secretKey/);
    const plain = options.splitResourceOptions("ClientKey", { providerSettings: { region: "cn-shanghai" }, import: "KAAP.1", protect: true }, schema);
    assert.deepEqual(plain.inputs, { __providerSettings: { region: "cn-shanghai" }, __import: "KAAP.1" });
    assert.deepEqual(plain.opts, { protect: true });
    const secret = options.splitResourceOptions("ClientKey", { providerSettings: { secretKey: "s" } }, schema);
    assert.ok(pulumi.Output.isInstance(secret.inputs.__providerSettings), "settings with a secret become a secret output");
});

test("an idle child does not keep a Node program alive", () => {
    // A separate Node process makes one request and then has nothing left to do; it must exit
    // on its own although its child is still running.
    const program = `
        const rpc = require(${JSON.stringify(path.join(build, "rpc.js"))});
        const child = new rpc.ProviderProcess({ command: process.env.KMS_TEST_PYTHON, args: [${JSON.stringify(scriptedProvider)}] });
        child.request("check", {}).then((result) => console.log(JSON.stringify(result.history)));
    `;
    const directory = fs.mkdtempSync(path.join(os.tmpdir(), "idle-child-"));
    const scriptPath = path.join(directory, "script.json");
    fs.writeFileSync(scriptPath, "{}");
    const run = childProcess.spawnSync(process.execPath, ["-e", program], {
        env: { ...process.env, SCRIPTED_PROVIDER_SCRIPT: scriptPath },
        encoding: "utf8",
        timeout: 60000,
    });
    assert.equal(run.signal, null, "the program had to be killed: the idle child kept it alive");
    assert.equal(run.status, 0, run.stderr);
    assert.equal(run.stdout.trim(), JSON.stringify(["configure", "check"]));
});

test("the bridge sends the resource type and strips __provider, and maps replies", async () => {
    const record = path.join(fs.mkdtempSync(path.join(os.tmpdir(), "record-")), "requests.jsonl");
    const child = startChild({
        record,
        replies: {
            check: { result: { inputs: { aapName: "a" }, failures: [] } },
            diff: { result: { changes: "DIFF_SOME", replaces: ["aapName"], deleteBeforeReplace: true } },
            read: { result: { id: "", properties: {} } },
        },
    });
    bridge.setProviderProcess(child);
    const description = { resourceType: "alicloud-kms:index:ClientKey", configNamespace: "alicloud-kms", configVariables: ["region"] };
    try {
        assert.deepEqual(await bridge.check(description, {}, { aapName: "a", __provider: "serialised" }), { inputs: { aapName: "a" }, failures: [] });
        assert.deepEqual(await bridge.diff(description, "KAAP.1", { aapName: "a" }, { aapName: "b" }), {
            changes: true, replaces: ["aapName"], stables: undefined, deleteBeforeReplace: true,
        });
        assert.deepEqual(await bridge.read(description, "KAAP.1", { aapName: "a" }), { id: "", props: {} });
        const requests = fs.readFileSync(record, "utf8").trim().split("\n").map((line) => JSON.parse(line));
        assert.deepEqual(requests.map((request) => request.method), ["configure", "check", "diff", "read"]);
        assert.deepEqual(requests[1].params, { type: "alicloud-kms:index:ClientKey", olds: {}, news: { aapName: "a" } });
        assert.deepEqual(requests[2].params, { type: "alicloud-kms:index:ClientKey", id: "KAAP.1", olds: { aapName: "a" }, news: { aapName: "b" } });
        assert.ok(requests.every((request) => request.jsonrpc === "2.0" && Number.isInteger(request.id)));
    } finally {
        bridge.setProviderProcess(undefined);
        child.stop();
    }
});

test("resource_init_failed carries id, properties and __provider for a partial failure", async () => {
    const child = startChild({
        replies: {
            create: { error: { code: -32057, message: "created KAAP.9 but could not write the key file", data: { kind: "resource_init_failed", id: "KAAP.9", properties: { aapName: "a" }, reasons: ["key file"] } } },
        },
    });
    bridge.setProviderProcess(child);
    const description = { resourceType: "alicloud-kms:index:ClientKey", configNamespace: "alicloud-kms", configVariables: [] };
    try {
        await assert.rejects(bridge.create(description, { aapName: "a", __provider: "serialised" }), (error) => {
            assert.equal(error.message, "created KAAP.9 but could not write the key file");
            assert.equal(error.id, "KAAP.9");
            assert.deepEqual(error.properties, { aapName: "a", __provider: "serialised" });
            assert.deepEqual(error.reasons, ["key file"]);
            return true;
        });
    } finally {
        bridge.setProviderProcess(undefined);
        child.stop();
    }
});

test("configure sends the namespaced stack config", async () => {
    const child = startChild({});
    bridge.setProviderProcess(child);
    const description = { resourceType: "alicloud-kms:index:ClientKey", configNamespace: "alicloud-kms", configVariables: ["region", "secretKey", "endpoint"] };
    const config = {
        get: (key) => ({
            "alicloud-kms:region": "cn-shanghai",
            "alicloud-kms:secretKey": "s3cret",
            "other:endpoint": "x",
            "alicloud:region": "cn-beijing",
            "alicloud:endpoints": "[{\"kms\": \"127.0.0.1:1\"}]",
            "alicloud:skipRegionValidation": "true",
        })[key],
    };
    try {
        await bridge.configure(description, { config });
        const checked = await child.request("noop", {});
        assert.deepEqual(checked.history, ["configure", "noop"]);
        // pulumi-alicloud's keys pass through under their own namespace; the binary picks what it uses.
        assert.deepEqual(child.configureParams, {
            variables: {
                "alicloud-kms:config:region": "cn-shanghai",
                "alicloud-kms:config:secretKey": "s3cret",
                "alicloud:config:region": "cn-beijing",
                "alicloud:config:endpoints": "[{\"kms\": \"127.0.0.1:1\"}]",
            },
            acceptSecrets: false,
        });
    } finally {
        bridge.setProviderProcess(undefined);
        child.stop();
    }
});

test("a change of the resource's settings alone is an update in place that calls nothing", async () => {
    const child = startChild({ replies: { diff: { result: { changes: "DIFF_NONE" } } } });
    bridge.setProviderProcess(child);
    const description = { resourceType: "alicloud-kms:index:ClientKey", configNamespace: "alicloud-kms", configVariables: ["accessKey", "secretKey"] };
    const olds = { aapName: "a", __providerSettings: { accessKey: "id", secretKey: "old" } };
    const news = { aapName: "a", __providerSettings: { secretKey: "new", accessKey: "id" } };
    try {
        const same = await bridge.diff(description, "KAAP.1", olds, { ...olds, __providerSettings: { secretKey: "old", accessKey: "id" } });
        assert.equal(same.changes, false);
        assert.equal((await bridge.diff(description, "KAAP.1", olds, news)).changes, true);
        const updated = await bridge.update(description, "KAAP.1", { ...olds, __provider: "serialised" }, news);
        assert.deepEqual(updated.outs, { aapName: "a", __providerSettings: { secretKey: "new", accessKey: "id" } });
        const checked = await child.request("noop", {});
        assert.deepEqual(checked.history, ["configure", "diff", "diff", "diff", "noop"]);
    } finally {
        bridge.setProviderProcess(undefined);
        child.stop();
    }
});

test("the provider object survives closure serialisation and runs from its text", async () => {
    const provider = dynamicProvider({
        resourceType: "alicloud-kms:index:ClientKey",
        configNamespace: "alicloud-kms",
        configVariables: ["region"],
        // Not resolvable from here, so the serialised provider must fall back to the absolute path.
        bridgeModule: "pulumi-alicloud-kms-not-installed/bin/bridge",
        bridgePath: path.join(build, "bridge.js"),
    });
    const serialised = await pulumi.runtime.serializeFunction(() => provider);
    assert.doesNotMatch(serialised.text, /child_process|readline/);
    const requireFromString = require(require.resolve("require-from-string", { paths: [path.dirname(require.resolve("@pulumi/pulumi", { paths: [build] }))] }));
    const restored = requireFromString(serialised.text).handler();
    const child = startChild({ replies: { check: { result: { inputs: { aapName: "a" }, failures: [{ property: "password", reason: "is required" }] } } } });
    bridge.setProviderProcess(child);
    try {
        const result = await restored.check({}, { aapName: "a", __provider: "x" });
        assert.deepEqual(result, { inputs: { aapName: "a" }, failures: [{ property: "password", reason: "is required" }] });
    } finally {
        bridge.setProviderProcess(undefined);
        child.stop();
    }
});

test("resource classes register dynamic resources under mocks", async () => {
    const registered = [];
    await pulumi.runtime.setMocks({
        newResource: (args) => {
            registered.push(args);
            return { id: `${args.name}-id`, state: { ...args.inputs, createTime: "2024-01-01T00:00:00Z", __provider: undefined } };
        },
        call: () => ({}),
    }, "project", "stack", false);
    const key = new sdk.ClientKey("key", { aapName: "my-aap", password: "Passw0rd!" });
    const point = new sdk.ApplicationAccessPoint("aap", { applicationAccessPointName: "aap", policies: ["p1"] });
    const values = await new Promise((resolve) => pulumi.all([key.aapName, key.createTime, point.policies, key.id]).apply(resolve));
    assert.deepEqual(values, ["my-aap", "2024-01-01T00:00:00Z", ["p1"], "key-id"]);
    const clientKey = registered.find((args) => args.name === "key");
    assert.equal(clientKey.type, "pulumi-nodejs:dynamic/alicloud-kms:ClientKey");
    assert.equal(typeof clientKey.inputs.__provider, "string");
    assert.equal(clientKey.inputs.aapName, "my-aap");
    // The resource name and the stack travel to check, for auto-naming (a dynamic-provider host
    // sends no URN).
    assert.equal(clientKey.inputs.__resourceName, "key");
    assert.equal(clientKey.inputs.__stack, "project/stack");
    assert.ok(sdk.ClientKey.isInstance(key));
    assert.throws(() => new sdk.ClientKey("bad", { aapName: "a" }), /Missing required property 'password'/);
});
