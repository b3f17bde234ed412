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
