// What the Node engine-level and program tests share: the local KMS emulator and its control
// endpoint, @pulumi/pulumi's real dynamic-provider host started as the engine starts it, a small
// model of what the Pulumi engine does around a provider plugin (config, secrets), and the
// registrations our TypeScript SDK makes in a program under Pulumi's mocks.
//
// Set by scripts/test.d/40-engine.sh: ALICLOUD_KMS_PROVIDER_PATH (the provider binary, which the
// SDK itself looks up the same way), KMS_EMULATOR_PATH (the emulator), KMS_SDK_NODEJS_MODULES (a
// node_modules directory holding the SDK compiled to JavaScript as the package
// `pulumi-alicloud-kms`, whose @pulumi/pulumi is the one of the test packages).

"use strict";

const assert = require("node:assert/strict");
const childProcess = require("node:child_process");
const fs = require("node:fs");
const os = require("node:os");
const path = require("node:path");
const readline = require("node:readline");

function requiredPath(variable) {
    const value = process.env[variable];
    assert.ok(value && fs.existsSync(value), `${variable} must be set (scripts/test.d/40-engine.sh builds and sets it), got ${value}`);
    return value;
}

const sdkModules = requiredPath("KMS_SDK_NODEJS_MODULES");
const sdkPackage = path.join(sdkModules, "pulumi-alicloud-kms");
/** @pulumi/pulumi as the SDK resolves it, so the test and the SDK share one instance. */
const pulumiDirectory = path.dirname(require.resolve("@pulumi/pulumi/package.json", { paths: [sdkPackage] }));
const pulumi = require(pulumiDirectory);
const fromPulumi = (name) => require(require.resolve(name, { paths: [pulumiDirectory] }));
const grpc = fromPulumi("@grpc/grpc-js");
const structpb = fromPulumi("google-protobuf/google/protobuf/struct_pb");
const providerGrpc = require(path.join(pulumiDirectory, "proto", "provider_grpc_pb"));
const providerPb = require(path.join(pulumiDirectory, "proto", "provider_pb"));
const statusPb = require(path.join(pulumiDirectory, "proto", "status_pb"));

const secretSignatureKey = "4dabf18193072939515e22adb298388d";
/** The engine's sentinel for a string that is not known yet (previews). */
const unknown = "04da6b54-80e4-46f7-96ec-b56ff0331ba9";
const secretSignature = "1b47061264138c4ac30d75fd1eb44270";
const demoAccessKeyId = "demo-access-key-id";
const demoAccessKeySecret = "demo-access-key-secret";
const project = "engine-test";
const stack = "dev";

/** `value` in Pulumi's secret wrapper, as the engine keeps a secret in its state. */
function secret(value) {
    return { [secretSignatureKey]: secretSignature, value };
}

function isSecret(value) {
    return value !== null && typeof value === "object" && value[secretSignatureKey] === secretSignature;
}

/** What the engine sends a provider that answered `acceptSecrets: false`: every secret unwrapped. */
function stripSecrets(value) {
    if (isSecret(value)) {
        return stripSecrets(value.value);
    }
    if (Array.isArray(value)) {
        return value.map(stripSecrets);
    }
    if (value !== null && typeof value === "object") {
        return Object.fromEntries(Object.entries(value).map(([key, item]) => [key, stripSecrets(item)]));
    }
    return value;
}

function containsSecrets(value) {
    if (isSecret(value)) {
        return true;
    }
    if (value !== null && typeof value === "object") {
        return Object.values(value).some(containsSecrets);
    }
    return false;
}

/** The engine's `annotateSecrets`: an output whose same-named input held a secret is a secret again. */
function annotateSecrets(outputs, inputs) {
    const annotated = { ...outputs };
    for (const [key, input] of Object.entries(inputs)) {
        if (!(key in annotated)) {
            continue;
        }
        const output = annotated[key];
        const isObject = (value) => value !== null && typeof value === "object" && !Array.isArray(value) && !isSecret(value);
        if (isObject(output) && isObject(input)) {
            annotated[key] = annotateSecrets(output, input);
        } else if (!isSecret(output) && containsSecrets(input)) {
            annotated[key] = secret(output);
        }
    }
    return annotated;
}

function withoutProvider(values) {
    const copy = { ...values };
    delete copy.__provider;
    return copy;
}

/**
 * Resolves with the first stdout line of `child` (rejects if it exits first); every later line
 * goes to `onLaterLine`, so the pipe never fills up.
 */
function firstLine(child, what, onLaterLine = () => undefined) {
    return new Promise((resolve, reject) => {
        const lines = readline.createInterface({ input: child.stdout });
        const onExit = (code, signal) => reject(new Error(`${what} exited (${signal ?? code}) before printing its first line`));
        child.once("exit", onExit);
        let first = true;
        lines.on("line", (line) => {
            if (!first) {
                onLaterLine(line);
                return;
            }
            first = false;
            child.off("exit", onExit);
            resolve(line.trim());
        });
    });
}

/** A temporary directory; removed by `removeDirectory`. */
function temporaryDirectory(prefix) {
    return fs.mkdtempSync(path.join(os.tmpdir(), prefix));
}

function removeDirectory(directory) {
    fs.rmSync(directory, { recursive: true, force: true });
}

/** A `kms-emulator` child on a free loopback port, and its control endpoint. */
class Emulator {
    /** `extraArguments`: more of the emulator's options, e.g. `--credential ID:SECRET`. */
    static async start(logPath, extraArguments = []) {
        const log = fs.openSync(logPath, "w");
        const child = childProcess.spawn(requiredPath("KMS_EMULATOR_PATH"), ["--listen", "127.0.0.1:0", ...extraArguments], { stdio: ["ignore", "pipe", log] });
        fs.closeSync(log);
        track(child, () => child.kill("SIGTERM"));
        const emulator = new Emulator(child);
        try {
            const line = await firstLine(child, "kms-emulator");
            const prefix = "listening on http://";
            assert.ok(line.startsWith(prefix), `kms-emulator printed ${JSON.stringify(line)}; see ${logPath}`);
            emulator.address = line.slice(prefix.length);
        } catch (error) {
            await emulator.stop();
            throw error;
        }
        return emulator;
    }

    constructor(child) {
        this.child = child;
        /** `HOST:PORT`, the endpoint a client is given. */
        this.address = "";
    }

    /** One call to `/__emulator/<route>`: `{status, body}`. */
    async control(method, route, body) {
        const response = await fetch(`http://${this.address}/__emulator/${route}`, {
            method,
            headers: body === undefined ? {} : { "content-type": "application/json" },
            body: body === undefined ? undefined : JSON.stringify(body),
        });
        return { status: response.status, body: await response.json() };
    }

    async clientKeys() {
        const { status, body } = await this.control("GET", "client-keys");
        assert.equal(status, 200);
        return new Map(body.client_keys.map((key) => [key.id, key]));
    }

    async accessPoints() {
        const { status, body } = await this.control("GET", "application-access-points");
        assert.equal(status, 200);
        return new Map(body.application_access_points.map((point) => [point.name, point]));
    }

    stop() {
        return stopChild(this.child, () => this.child.kill("SIGTERM"));
    }
}

/**
 * Children still running when the test process exits (a test that threw before its cleanup, or
 * the runner ending the file) are killed on the way out.
 */
const liveChildren = new Map();
process.on("exit", () => {
    for (const kill of liveChildren.values()) {
        try {
            kill();
        } catch {
            // Already gone.
        }
    }
});

function track(child, kill) {
    liveChildren.set(child, kill);
    child.once("exit", () => liveChildren.delete(child));
}

function stopChild(child, kill) {
    if (child.exitCode !== null || child.signalCode !== null) {
        return Promise.resolve();
    }
    const exited = new Promise((resolve) => child.once("exit", resolve));
    try {
        kill();
    } catch {
        // Already gone between the check and the kill.
    }
    return exited;
}

const proxyVariables = ["http_proxy", "https_proxy", "all_proxy", "grpc_proxy", "no_proxy"];

/**
 * The environment of a provider host: credentials and regions of the outer environment removed
 * (so everything the binary knows comes from `configure`), HOME an empty directory (no
 * ~/.aliyun/config.json), and no proxy settings (all traffic is loopback).
 */
function scrubbedEnvironment(home, extra = {}) {
    const environment = {};
    for (const [key, value] of Object.entries(process.env)) {
        if (!/^(ALIBABA_CLOUD_|ALICLOUD_)/.test(key) && !proxyVariables.includes(key.toLowerCase())) {
            environment[key] = value;
        }
    }
    environment.HOME = home;
    // Unset in scripts/test.d/50-artefacts.sh: the SDK then runs the binary of its platform package.
    if (process.env.ALICLOUD_KMS_PROVIDER_PATH) {
        environment.ALICLOUD_KMS_PROVIDER_PATH = requiredPath("ALICLOUD_KMS_PROVIDER_PATH");
    }
    return { ...environment, ...extra };
}

/**
 * The binary's test hook for short KMS retry waits (10 ms instead of 1 s, doubling up to 20 ms),
 * so a test that injects a lasting fault does not wait a minute and a half for the retries to end.
 */
const fastRetries = { ALICLOUD_KMS_PROVIDER_TEST_HOOKS: "1", ALICLOUD_KMS_PROVIDER_TEST_RETRY_DELAY_MS: "10" };

/**
 * The ErrorResourceInitFailed detail of a gRPC error (what the Node host sends for a partial
 * failure, in `grpc-status-details-bin`), as `{id, properties, reasons}`; undefined without one.
 */
function resourceInitFailure(error) {
    const [details] = error.metadata?.get("grpc-status-details-bin") ?? [];
    if (details === undefined) {
        return undefined;
    }
    for (const detail of statusPb.Status.deserializeBinary(details).getDetailsList()) {
        const failure = detail.unpack(providerPb.ErrorResourceInitFailed.deserializeBinary, "pulumirpc.ErrorResourceInitFailed");
        if (failure !== null) {
            return { id: failure.getId(), properties: failure.getProperties().toJavaScript(), reasons: failure.getReasonsList() };
        }
    }
    return undefined;
}

/**
 * A program directory as a user has it: `node_modules` with our SDK package (a symlink to the
 * built one). The engine starts the provider host in the program's directory, which is how the
 * serialised provider finds `pulumi-alicloud-kms/bin/bridge`.
 */
function programDirectory(prefix) {
    const directory = temporaryDirectory(prefix);
    fs.symlinkSync(sdkModules, path.join(directory, "node_modules"));
    fs.mkdirSync(path.join(directory, "home"));
    return directory;
}

/**
 * @pulumi/pulumi's dynamic-provider host (what `pulumi-resource-pulumi-nodejs` runs), started
 * with an engine address as its one argument, in its own process group so that stopping it stops
 * the provider binary it spawned too, and with the binary's short-retry test hook (for the test
 * that injects a lasting fault). Its first stdout line is the port.
 */
class ProviderHost {
    static async start(directory, stderrPath) {
        const stderr = fs.openSync(stderrPath, "w");
        const script = path.join(pulumiDirectory, "cmd", "dynamic-provider", "index.js");
        const child = childProcess.spawn(process.execPath, [script, "127.0.0.1:1"], {
            cwd: directory,
            env: scrubbedEnvironment(path.join(directory, "home"), fastRetries),
            stdio: ["ignore", "pipe", stderr],
            detached: true,
        });
        fs.closeSync(stderr);
        track(child, () => process.kill(-child.pid, "SIGTERM"));
        const host = new ProviderHost(child, stderrPath);
        try {
            const line = await firstLine(child, "the dynamic-provider host", (later) => host.stdoutLines.push(later));
            assert.match(line, /^\d+$/, `the host printed ${JSON.stringify(line)}; see ${stderrPath}`);
            host.port = Number(line);
            host.client = new providerGrpc.ResourceProviderClient(`127.0.0.1:${host.port}`, grpc.credentials.createInsecure(), { "grpc.enable_http_proxy": 0 });
        } catch (error) {
            await host.stop();
            throw error;
        }
        return host;
    }

    constructor(child, stderrPath) {
        this.child = child;
        this.stderrPath = stderrPath;
        this.port = 0;
        this.client = undefined;
        /** What the host wrote to stdout after its port. */
        this.stdoutLines = [];
    }

    /**
     * What the engine would show as the plugin's diagnostics: every stdout line after the port
     * and all of stderr (Pulumi's Node log functions write to the console when there is no
     * engine connection, info to stdout, warnings and errors to stderr).
     */
    diagnostics() {
        return [...this.stdoutLines, fs.readFileSync(this.stderrPath, "utf8")].join("\n");
    }

    /** One unary call; rejects with the gRPC error. */
    call(method, request) {
        return new Promise((resolve, reject) => this.client[method](request, (error, response) => (error ? reject(error) : resolve(response))));
    }

    stop() {
        this.client?.close();
        return stopChild(this.child, () => process.kill(-this.child.pid, "SIGTERM"));
    }
}

/** The stack config a user would set for the emulator, as the engine holds it (namespaced, the secret key wrapped). */
function stackConfig(emulator) {
    return {
        "alicloud-kms:endpoint": emulator.address,
        "alicloud-kms:protocol": "HTTP",
        "alicloud-kms:accessKey": demoAccessKeyId,
        "alicloud-kms:secretKey": secret(demoAccessKeySecret),
        [`${project}:unrelated`]: "other program config reaches dynamic providers too",
    };
}

const toStruct = (values) => structpb.Struct.fromJavaScript(values);

/**
 * The engine's side of the provider protocol, reduced to what these tests drive (see
 * pkg/resource/plugin/provider_plugin.go of pulumi/pulumi): Configure gets the whole stack config
 * with namespaces kept as `args` (secrets kept) and as `variables` (`<package>:config:<key>`,
 * strings); later calls carry secrets only if Configure answered acceptSecrets (a dynamic host
 * answers false, so they arrive plain); results get the secret bit back for every property whose
 * input was secret.
 */
class Engine {
    constructor(host, packageName) {
        this.host = host;
        this.packageName = packageName;
        this.acceptSecrets = true;
    }

    async configure(config) {
        const request = new providerPb.ConfigureRequest();
        for (const [key, value] of Object.entries(config)) {
            const plain = stripSecrets(value);
            request.getVariablesMap().set(`${this.packageName}:config:${key}`, typeof plain === "string" ? plain : JSON.stringify(plain));
        }
        request.setArgs(toStruct(config));
        request.setAcceptsecrets(true);
        request.setAcceptresources(true);
        request.setSendsOldInputs(true);
        request.setSendsOldInputsToDelete(true);
        const response = await this.host.call("configure", request);
        this.acceptSecrets = response.getAcceptsecrets();
        return response;
    }

    marshal(values) {
        return toStruct(this.acceptSecrets ? values : stripSecrets(values));
    }

    outputs(struct, inputs) {
        const outputs = struct.toJavaScript();
        return this.acceptSecrets ? outputs : annotateSecrets(outputs, inputs);
    }

    async check(urn, olds, news) {
        const request = new providerPb.CheckRequest();
        request.setUrn(urn);
        request.setOlds(this.marshal(olds));
        request.setNews(this.marshal(news));
        const response = await this.host.call("check", request);
        return {
            inputs: this.outputs(response.getInputs(), news),
            failures: response.getFailuresList().map((failure) => [failure.getProperty(), failure.getReason()]),
        };
    }

    async diff(urn, id, oldInputs, oldOutputs, news) {
        const request = new providerPb.DiffRequest();
        request.setId(id);
        request.setUrn(urn);
        request.setOlds(this.marshal(oldOutputs));
        request.setNews(this.marshal(news));
        request.setOldInputs(this.marshal(oldInputs));
        const response = await this.host.call("diff", request);
        return {
            changes: response.getChanges(),
            replaces: response.getReplacesList(),
            deleteBeforeReplace: response.getDeletebeforereplace(),
        };
    }

    async create(urn, inputs) {
        const request = new providerPb.CreateRequest();
        request.setUrn(urn);
        request.setProperties(this.marshal(inputs));
        request.setTimeout(300);
        const response = await this.host.call("create", request);
        return { id: response.getId(), outputs: this.outputs(response.getProperties(), inputs) };
    }

    async read(urn, id, outputs, inputs) {
        const request = new providerPb.ReadRequest();
        request.setId(id);
        request.setUrn(urn);
        request.setProperties(this.marshal(outputs));
        request.setInputs(this.marshal(inputs));
        const response = await this.host.call("read", request);
        return {
            id: response.getId(),
            outputs: this.outputs(response.getProperties(), inputs),
            inputs: response.getInputs()?.toJavaScript(),
        };
    }

    async update(urn, id, oldInputs, oldOutputs, news) {
        const request = new providerPb.UpdateRequest();
        request.setId(id);
        request.setUrn(urn);
        request.setOlds(this.marshal(oldOutputs));
        request.setNews(this.marshal(news));
        request.setOldInputs(this.marshal(oldInputs));
        request.setTimeout(300);
        const response = await this.host.call("update", request);
        return this.outputs(response.getProperties(), news);
    }

    async delete(urn, id, oldInputs, outputs) {
        const request = new providerPb.DeleteRequest();
        request.setId(id);
        request.setUrn(urn);
        request.setProperties(this.marshal(outputs));
        request.setOldInputs(this.marshal(oldInputs));
        request.setTimeout(300);
        await this.host.call("delete", request);
    }
}

const DiffChanges = providerPb.DiffResponse.DiffChanges;

function urnOf(type, name) {
    return `urn:pulumi:${stack}::${project}::${type}::${name}`;
}

/**
 * Pulumi's mocks for the whole test process, set once; `onResource` decides how each
 * registration is answered (by default it is recorded and echoed).
 */
const mockState = { registered: [], onResource: undefined };

async function installMocks() {
    await pulumi.runtime.setMocks({
        newResource: async (args) => {
            mockState.registered.push(args);
            if (mockState.onResource !== undefined) {
                return mockState.onResource(args);
            }
            return { id: `${args.name}-id`, state: args.inputs };
        },
        call: () => ({}),
    }, project, stack, false);
}

/**
 * Waits for an Output's value. `promise()` is the Output's own (internal) accessor: unlike
 * `apply`, it rejects when the resource behind the Output failed, so a failing registration fails
 * the test instead of hanging it.
 */
function valueOf(output) {
    return output.promise();
}

/** The SDK, loaded from its package directory. */
function loadSdk() {
    return require(sdkPackage);
}

/** Runs a one-resource program with our SDK under mocks; returns the URN, the type and the inputs it registers. */
async function register(resourceClass, name, args, opts) {
    mockState.registered = [];
    const resource = new resourceClass(name, args, opts);
    await valueOf(resource.id);
    const registration = mockState.registered.find((entry) => entry.name === name);
    return { urn: urnOf(registration.type, name), type: registration.type, inputs: { ...registration.inputs } };
}

/** Replaces the whole environment of this process with `environment`. */
function replaceEnvironment(environment) {
    for (const name of Object.keys(process.env)) {
        delete process.env[name];
    }
    Object.assign(process.env, environment);
}

/**
 * Runs `body` with this process made a program's (the SDK spawns the binary from it): `directory`
 * the working directory (where a relative key file lands), `directory/home` an empty HOME, the
 * environment `scrubbedEnvironment`'s plus `extra`. Everything is put back afterwards, and the
 * SDK's children are stopped.
 */
async function inProgramEnvironment(directory, extra, body) {
    const savedEnvironment = { ...process.env };
    const savedDirectory = process.cwd();
    fs.mkdirSync(path.join(directory, "home"), { recursive: true });
    const environment = scrubbedEnvironment(path.join(directory, "home"), extra);
    process.chdir(directory);
    replaceEnvironment(environment);
    try {
        return await body();
    } finally {
        process.chdir(savedDirectory);
        replaceEnvironment(savedEnvironment);
        stopSdkProcess();
    }
}

/** Stops the provider binary the SDK started in this process (tests that run a provider in-process). */
function stopSdkProcess() {
    const bridge = require(path.join(sdkPackage, "bin", "bridge.js"));
    bridge.providerProcess().stop();
    bridge.setProviderProcess(undefined);
}

/** The serialised provider of a registration, as the host loads it (`require-from-string`). */
function loadProvider(serialized) {
    const requireFromString = fromPulumi("require-from-string");
    return requireFromString(serialized).handler();
}

/**
 * The engine's and the provider host's part for each registration of a program under mocks, as a
 * deployment would do it: the `__provider` our SDK registered is loaded as the host loads it and
 * configured once with the stack `config`, then its check and create run (the real binary). Set
 * the returned `onResource` as `mockState.onResource`; `created` lists `[type, id]`.
 */
function engineAndHostInAMock(config) {
    const providers = new Map();
    const created = [];
    const onResource = async (args) => {
        assert.match(args.type, /^pulumi-nodejs:dynamic\/alicloud-kms:/);
        // The engine sends no secrets to a dynamic provider host (it does not accept them).
        const news = stripSecrets(args.inputs);
        let provider = providers.get(news.__provider);
        if (provider === undefined) {
            provider = loadProvider(news.__provider);
            await provider.configure({ config: dynamicProviderConfig(config) });
            providers.set(news.__provider, provider);
        }
        const checked = await provider.check({}, news);
        assert.deepEqual(checked.failures, []);
        const result = await provider.create(checked.inputs);
        created.push([args.type, result.id]);
        return { id: result.id, state: result.outs };
    };
    return { onResource, created };
}

/** Waits until every registration a program made has been answered (Pulumi's own RPC queue). */
function waitForRegistrations() {
    return require(path.join(pulumiDirectory, "runtime", "settings.js")).waitForRPCs();
}

/** The Config class the Node host hands to `configure`. */
function dynamicProviderConfig(config) {
    const { Config } = require(path.join(pulumiDirectory, "cmd", "dynamic-provider", "config.js"));
    return new Config(stripSecrets(config), project);
}

module.exports = {
    DiffChanges,
    demoAccessKeyId,
    demoAccessKeySecret,
    grpcStatus: grpc.status,
    Emulator,
    Engine,
    ProviderHost,
    dynamicProviderConfig,
    engineAndHostInAMock,
    inProgramEnvironment,
    installMocks,
    isSecret,
    loadProvider,
    loadSdk,
    mockState,
    programDirectory,
    project,
    pulumi,
    register,
    removeDirectory,
    resourceInitFailure,
    scrubbedEnvironment,
    secret,
    stack,
    stackConfig,
    stopSdkProcess,
    stripSecrets,
    temporaryDirectory,
    unknown,
    urnOf,
    valueOf,
    waitForRegistrations,
    withoutProvider,
};
