#!/usr/bin/env node
// The `aifi` command. TypeScript sources run through tsx's loader; no build step.
// Tracing starts before anything else is loaded.
import { register } from 'tsx/esm/api';

register();
const { startTelemetry } = await import('../cli/telemetry.ts');
const stopTelemetry = startTelemetry();
const { main } = await import('../cli/index.ts');
process.exitCode = await main(process.argv.slice(2));
await stopTelemetry();
// The command is done. A client library may still hold the event loop: kafkajs's
// consumer goes on reconnecting to a broker after its disconnect has resolved
// (kafkajs issue #1147), so a collector stopped by SIGTERM never exited. What is
// left gets a moment to finish writing, then the process exits with the code.
setTimeout(() => process.exit(), 2_000).unref();
