// Every TypeScript program of the READMEs (tests/python/readme_examples.py writes them, with
// examples.json, into the directory KMS_SDK_README_EXAMPLES, where scripts/test.d/40-engine.sh
// compiles them with `tsc --strict`) runs, as written, as a Pulumi program under Pulumi's mocks,
// the mock doing the engine's and the provider host's part (check, then create, through our SDK's
// real provider and binary) against a local KMS emulator. The programs of one README section run
// in order against an emulator of their own, each in its own working directory; a program that
// adopts a resource with the `import` option is run first without it, which stands in for the
// resource made outside the program. The stack config points at the emulator; the programs' own
// config holds what they ask for, and the environment names the emulator as the KMS endpoint for
// resources with settings of their own.

"use strict";

const assert = require("node:assert/strict");
const fs = require("node:fs");
const path = require("node:path");
const { test } = require("node:test");

const harness = require("./engine_harness");

const examplesDirectory = process.env.KMS_SDK_README_EXAMPLES;
assert.ok(examplesDirectory && fs.existsSync(path.join(examplesDirectory, "examples.json")),
    "KMS_SDK_README_EXAMPLES must name the compiled README examples (scripts/test.d/40-engine.sh)");
const manifest = JSON.parse(fs.readFileSync(path.join(examplesDirectory, "examples.json"), "utf8"));

/** What the programs read with `new pulumi.Config()`; the password and the secret key as secrets. */
const programConfig = {
    [`${harness.project}:clientKeyPassword`]: "YouPassword123!",
    [`${harness.project}:shanghaiAccessKeyId`]: harness.demoAccessKeyId,
    [`${harness.project}:shanghaiAccessKeySecret`]: harness.demoAccessKeySecret,
};
const secretConfig = [`${harness.project}:clientKeyPassword`, `${harness.project}:shanghaiAccessKeySecret`];

const sections = new Map();
for (const example of manifest) {
    const key = `${example.readme}: ${example.section}`;
    sections.set(key, [...(sections.get(key) ?? []), example]);
}

test("the npm package's README has programs in every section that shows one", () => {
    for (const section of ["A program", "Coming from pulumi-alicloud", "Several regions or accounts", "Importing existing resources"]) {
        assert.ok(sections.has(`sdk/nodejs/README.md: ${section}`), section);
    }
});

/** Runs one compiled program in `directory`; returns what the engine in the mock created. */
async function runExample(name, where, directory, emulator) {
    fs.mkdirSync(directory);
    process.chdir(directory);
    // The SDK's children start again, in this directory.
    harness.stopSdkProcess();
    const { onResource, created } = harness.engineAndHostInAMock(harness.stackConfig(emulator));
    harness.mockState.registered = [];
    harness.mockState.onResource = onResource;
    harness.pulumi.runtime.setAllConfig(programConfig, secretConfig);
    require(path.join(examplesDirectory, `${name}.js`));
    await harness.waitForRegistrations();
    const registered = harness.mockState.registered.map((registration) => registration.name);
    assert.ok(registered.length > 0, `${where}: registered nothing`);
    assert.equal(created.length, registered.length, `${where}: created ${JSON.stringify(created)} of ${registered}`);
    assert.ok(created.every(([, id]) => id !== ""), JSON.stringify(created));
    return created;
}

for (const [key, examples] of sections) {
    test(`every TypeScript program of ${key} runs`, async () => {
        const directory = harness.temporaryDirectory("readme-");
        const emulator = await harness.Emulator.start(path.join(directory, "kms-emulator.log"));
        try {
            await harness.inProgramEnvironment(directory, { ALIBABA_CLOUD_ENDPOINT_KMS: `http://${emulator.address}` }, async () => {
                await harness.installMocks();
                for (const example of examples) {
                    const where = `${example.readme}, ${example.section}, ${example.name}`;
                    let before;
                    if (example.setup !== null) {
                        await runExample(example.setup, `${where} without its import option`, path.join(directory, example.setup), emulator);
                        before = (await emulator.control("GET", "network-rules")).body;
                    }
                    const created = await runExample(example.name, where, path.join(directory, example.name), emulator);
                    if (example.setup !== null) {
                        // Adopted, not created again: the same resource, unchanged.
                        assert.deepEqual(created.map(([, id]) => id), example.importIds);
                        assert.deepEqual((await emulator.control("GET", "network-rules")).body, before);
                    }
                }
            });
        } finally {
            await emulator.stop();
            harness.removeDirectory(directory);
        }
    });
}
