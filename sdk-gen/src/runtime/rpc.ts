// One long-lived `alicloud-kms-provider` child per process, spoken to in JSON-RPC 2.0 with one
// compact JSON value per line. Requests are multiplexed by id, so any number may be in flight;
// replies may come back in any order. The child's `log` notifications go to a callback, its
// stderr is inherited (the Pulumi engine shows a provider host's stderr as diagnostics).
//
// This module knows JSON-RPC and the process, not Pulumi resources: see `bridge.ts` for that.

import * as childProcess from "child_process";
import * as fs from "fs";
import * as path from "path";
import * as readline from "readline";

/** The binary's name on `PATH`. */
export const providerBinaryName = "alicloud-kms-provider";

/** The environment variable that names the binary explicitly; it wins over `PATH`. */
export const providerPathVariable = "ALICLOUD_KMS_PROVIDER_PATH";

/** A JSON-RPC error from the binary, or a failure to reach it. The message is the binary's own. */
export class ProviderError extends Error {
    /** The JSON-RPC error code, e.g. -32052 for a KMS service error (see the provider's error table). */
    public readonly code: number;
    /** `data.kind` of the error, e.g. `kms_service`; `transport` when the binary could not be reached. */
    public readonly kind: string;
    /** The error's `data` object as the binary sent it. */
    public readonly data: Record<string, unknown>;

    constructor(code: number, message: string, data?: Record<string, unknown>) {
        super(message);
        this.name = "ProviderError";
        this.code = code;
        this.data = data ?? {};
        this.kind = typeof this.data["kind"] === "string" ? (this.data["kind"] as string) : "unknown";
    }
}

/** The code used for failures on this side of the pipe: no binary, the binary died, a bad reply. */
export const transportErrorCode = -32603;

/** A `log` notification from the binary. */
export interface LogEntry {
    severity: string;
    message: string;
    urn?: string;
}

export interface ProviderProcessOptions {
    /** The executable to run. */
    command: string;
    args?: string[];
    env?: NodeJS.ProcessEnv;
    /** Receives the binary's `log` notifications and this module's own warnings. */
    onLog?: (entry: LogEntry) => void;
    /** The `configure` params sent before the first request, until `configure` replaces them. */
    configure?: Record<string, unknown>;
}

interface PendingRequest {
    method: string;
    resolve: (result: unknown) => void;
    reject: (error: Error) => void;
}

/** The npm package this runtime belongs to; its platform packages carry the binary. */
export const packageName = "pulumi-alicloud-kms";

/**
 * The platform package that carries the binary for this machine, as esbuild and biome name theirs:
 * `pulumi-alicloud-kms-<platform>-<arch>`, with `-gnu` or `-musl` on Linux, whose two C libraries
 * need different binaries. The main package lists every published one in `optionalDependencies`,
 * and npm installs only the one whose `os`, `cpu` and `libc` match.
 */
export function platformPackageName(platform: string = process.platform, arch: string = process.arch, linuxLibc: string = detectLinuxLibc()): string {
    const suffix = platform === "linux" ? `-${linuxLibc}` : "";
    return `${packageName}-${platform}-${arch}${suffix}`;
}

/** `gnu` when Node runs on glibc (its process report names a glibc version), else `musl`. */
function detectLinuxLibc(): string {
    if (process.platform !== "linux") {
        return "gnu";
    }
    try {
        const report = (process as unknown as { report?: { getReport(): unknown } }).report?.getReport() as
            { header?: { glibcVersionRuntime?: string } } | undefined;
        return report?.header?.glibcVersionRuntime ? "gnu" : "musl";
    } catch {
        return "gnu";
    }
}

/** The binary inside this machine's platform package, when that package is installed. */
export function bundledProviderBinary(): string | undefined {
    let manifest: string;
    try {
        manifest = require.resolve(`${platformPackageName()}/package.json`);
    } catch {
        return undefined;
    }
    const executable = providerBinaryName + (process.platform === "win32" ? ".exe" : "");
    const candidate = path.join(path.dirname(manifest), "bin", executable);
    return isExecutableFile(candidate) ? candidate : undefined;
}

/**
 * Finds the binary, in this order: `ALICLOUD_KMS_PROVIDER_PATH` if set; the binary of this
 * machine's platform package (`pulumi-alicloud-kms-linux-x64-gnu`, ...); the first match on `PATH`.
 * Fails with how to install it when there is none.
 */
export function findProviderBinary(env: NodeJS.ProcessEnv = process.env): string {
    const explicit = env[providerPathVariable];
    if (explicit) {
        if (!isExecutableFile(explicit)) {
            throw new ProviderError(transportErrorCode,
                `${providerPathVariable} is set to ${explicit}, which is not an executable file; point it at the ${providerBinaryName} binary`,
                { kind: "transport" });
        }
        return explicit;
    }
    const bundled = bundledProviderBinary();
    if (bundled !== undefined) {
        return bundled;
    }
    for (const directory of (env["PATH"] ?? "").split(path.delimiter)) {
        if (!directory) {
            continue;
        }
        const candidate = path.join(directory, providerBinaryName);
        if (isExecutableFile(candidate)) {
            return candidate;
        }
    }
    throw new ProviderError(transportErrorCode,
        `cannot find the ${providerBinaryName} binary: ${platformPackageName()} is not installed (npm installs it with ${packageName} ` +
        `where it is published: Linux x64 with glibc), and ${providerBinaryName} is not on PATH; ` +
        `build it from the provider's repository (\`cargo install --path .\`) and put it on PATH, or set ${providerPathVariable} to its path`,
        { kind: "transport" });
}

function isExecutableFile(file: string): boolean {
    try {
        fs.accessSync(file, fs.constants.X_OK);
        return fs.statSync(file).isFile();
    } catch {
        return false;
    }
}

/**
 * A child process speaking the provider protocol. It starts on the first request and starts
 * again after it dies; `configure` parameters are remembered and replayed to a new child before
 * anything else, so a restart is invisible to callers (apart from requests in flight at the
 * time, which fail).
 */
export class ProviderProcess {
    private readonly options: ProviderProcessOptions;
    private child: childProcess.ChildProcess | undefined;
    private nextId = 1;
    private readonly pending = new Map<number, PendingRequest>();
    private configureParams: Record<string, unknown> = { variables: {}, acceptSecrets: false };
    private configured: Promise<void> | undefined;

    constructor(options: ProviderProcessOptions) {
        this.options = options;
        if (options.configure !== undefined) {
            this.configureParams = options.configure;
        }
    }

    /** Sends `configure`, and remembers it for any later child. */
    public async configure(params: Record<string, unknown>): Promise<unknown> {
        this.configureParams = params;
        this.ensureStarted();
        const result = this.send("configure", params);
        this.configured = result.then(() => undefined);
        return result;
    }

    /** Sends one request and waits for its reply; a JSON-RPC error becomes a `ProviderError`. */
    public async request(method: string, params: Record<string, unknown>): Promise<unknown> {
        this.ensureStarted();
        if (this.configured === undefined) {
            // The engine always configures first; a program under test mocks may not, and the
            // binary then falls back to the environment.
            this.configured = this.send("configure", this.configureParams).then(() => undefined);
        }
        await this.configured;
        return this.send(method, params);
    }

    /** Stops the child (tests; a provider host simply exits). */
    public stop(): void {
        this.child?.stdin?.end();
        this.child = undefined;
        this.configured = undefined;
    }

    private ensureStarted(): void {
        if (this.child !== undefined) {
            return;
        }
        const child = childProcess.spawn(this.options.command, this.options.args ?? [], {
            env: this.options.env ?? process.env,
            stdio: ["pipe", "pipe", "inherit"],
        });
        this.child = child;
        this.configured = undefined;
        const lines = readline.createInterface({ input: child.stdout!, crlfDelay: Infinity });
        lines.on("line", (line) => this.onLine(line));
        // A write to a child that has just died fails with EPIPE; the exit handler reports it.
        child.stdin!.on("error", () => undefined);
        child.on("error", (error) => this.onExit(child, `could not start ${this.options.command}: ${error.message}`));
        child.on("close", (code, signal) =>
            this.onExit(child, `${providerBinaryName} exited (${signal ? `signal ${signal}` : `exit code ${code}`})`));
        this.updateReferences();
    }

    private send(method: string, params: Record<string, unknown>): Promise<unknown> {
        const child = this.child;
        if (child === undefined) {
            return Promise.reject(new ProviderError(transportErrorCode, `${providerBinaryName} is not running`, { kind: "transport" }));
        }
        const id = this.nextId++;
        const result = new Promise<unknown>((resolve, reject) => {
            this.pending.set(id, { method, resolve, reject });
        });
        this.updateReferences();
        child.stdin!.write(JSON.stringify({ jsonrpc: "2.0", id, method, params }) + "\n");
        return result;
    }

    private onLine(line: string): void {
        if (line.trim() === "") {
            return;
        }
        let message: any;
        try {
            message = JSON.parse(line);
        } catch {
            this.log({ severity: "warning", message: `${providerBinaryName} wrote a line that is not JSON; ignoring it` });
            return;
        }
        if (message === null || typeof message !== "object") {
            this.log({ severity: "warning", message: `${providerBinaryName} wrote a JSON value that is not a message; ignoring it` });
            return;
        }
        if (message.method === "log" && message.id === undefined) {
            const params = message.params ?? {};
            this.log({ severity: String(params.severity ?? "info"), message: String(params.message ?? ""), urn: params.urn });
            return;
        }
        const pending = typeof message.id === "number" ? this.pending.get(message.id) : undefined;
        if (pending === undefined) {
            this.log({ severity: "debug", message: `${providerBinaryName} answered an unknown request id ${JSON.stringify(message.id)}` });
            return;
        }
        this.pending.delete(message.id);
        this.updateReferences();
        if (message.error !== undefined) {
            const error = message.error ?? {};
            const data = error.data !== null && typeof error.data === "object" ? error.data : {};
            pending.reject(new ProviderError(Number(error.code ?? transportErrorCode), String(error.message ?? "unknown error"), data));
        } else {
            pending.resolve(message.result);
        }
    }

    private onExit(child: childProcess.ChildProcess, reason: string): void {
        if (this.child === child) {
            this.child = undefined;
            this.configured = undefined;
        }
        // Every request in flight went to this child (there is only ever one at a time).
        const failed = [...this.pending.values()];
        this.pending.clear();
        for (const request of failed) {
            request.reject(new ProviderError(transportErrorCode,
                `${reason} before answering \`${request.method}\`; its stderr above says why`, { kind: "transport" }));
        }
    }

    /**
     * Keeps the Node event loop alive only while requests are in flight, so a program (or a test
     * under mocks) can exit while the idle child is still running; the child sees end-of-file on
     * its stdin when this process goes away.
     */
    private updateReferences(): void {
        const child = this.child;
        if (child === undefined) {
            return;
        }
        const busy = this.pending.size > 0;
        const streams = [child.stdout, child.stdin] as Array<{ ref?: () => void; unref?: () => void } | null>;
        if (busy) {
            child.ref();
            streams.forEach((stream) => stream?.ref?.());
        } else {
            child.unref();
            streams.forEach((stream) => stream?.unref?.());
        }
    }

    private log(entry: LogEntry): void {
        this.options.onLog?.(entry);
    }
}
