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
}

interface PendingRequest {
    method: string;
    resolve: (result: unknown) => void;
    reject: (error: Error) => void;
}

/** Finds the binary: `ALICLOUD_KMS_PROVIDER_PATH` if set, else the first match on `PATH`. */
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
        `cannot find the ${providerBinaryName} binary: set ${providerPathVariable} to its path or put it on PATH`,
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
