import { existsSync } from 'node:fs';
import { chromium, type Browser } from 'playwright-core';

/** Debian's Chromium: the binary itself, or the wrapper script that starts it. */
const CHROMIUM = ['/usr/lib/chromium/chromium', '/usr/bin/chromium'];

/** Throws unless Debian's chromium is installed. */
export function chromiumInstalled(): string {
  const path = CHROMIUM.find((p) => existsSync(p));
  if (!path) throw new Error('Chromium is not installed (apt-get install chromium)');
  return path;
}

/**
 * Headless Debian Chromium driven by playwright-core, with nothing that reaches
 * beyond this machine (no background networking, updates or sync). Close the
 * returned browser when done: that stops the process.
 */
export async function launchChromium(): Promise<Browser> {
  return chromium.launch({
    executablePath: chromiumInstalled(),
    headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--disable-quic', '--no-first-run'],
  });
}
