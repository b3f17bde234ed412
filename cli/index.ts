import type { Io } from './io.ts';
import { ConfigError, loadConfig } from '../config/index.ts';
import { StoreError } from '../store/index.ts';
import { UsageError } from './cli-error.ts';
import { keepDataPrivate } from './private-data.ts';
import { eventsCommand, eventsHelp } from './events-command.ts';
import { migrateCommand, queryCommand, storeHelp } from './store-commands.ts';
import { serveCommand, upHelp } from './up-command.ts';
import { simulateCommand, simulateHelp } from './simulate-command.ts';
import { analyticsCommand, analyticsHelp, reportCommand } from './analytics-commands.ts';
import { alertsCommand, alertsHelp } from './alerts-command.ts';
import { dashboardsCommand, dashboardsHelp } from './dashboards-command.ts';
import { costCommand, costHelp } from './cost-command.ts';

const help = `aifi — monitoring and clinical validation of AI in radiology

usage:
${upHelp}
${simulateHelp}
${analyticsHelp}
${costHelp}
${alertsHelp}
${dashboardsHelp}
${storeHelp}
${eventsHelp}
aifi --help                   this text

Configuration comes from AIFI_* environment variables (see README.md).`;

export { startStack, type Stack, type FullStack, type Role } from './stack.ts';

export type { Io } from './io.ts';

const defaultIo: Io = { out: (t) => console.log(t), err: (t) => console.error(t) };

/** Runs the `aifi` command; resolves with the process exit code. */
export async function main(argv: string[], io: Io = defaultIo): Promise<number> {
  const [command, ...args] = argv;
  /** The configuration, for a command that reads or writes the data folder. */
  const withData = () => keepDataPrivate(loadConfig());
  try {
    switch (command) {
      case undefined:
      case '--help':
      case '-h':
      case 'help':
        io.out(help);
        return 0;
      case 'events':
        eventsCommand(args, io.out);
        return 0;
      case 'migrate':
        await migrateCommand(withData(), args, io.out, io.err);
        return 0;
      case 'query':
        await queryCommand(withData(), args, io.out);
        return 0;
      case 'up':
        return await serveCommand('all', withData(), args, io);
      case 'dashboards':
        return dashboardsCommand(args, io, loadConfig());
      case 'alerts':
        return alertsCommand(args, io);
      case 'analytics':
        return await analyticsCommand(withData(), args, io);
      case 'report':
        return await reportCommand(withData(), args, io);
      case 'cost':
        return await costCommand(withData(), args, io);
      case 'simulate':
        return await simulateCommand(withData(), args, io);
      case 'collector':
      case 'orchestrator':
        return await serveCommand(command, withData(), args, io);
      default:
        throw new UsageError(`unknown command ${JSON.stringify(command)}`);
    }
  } catch (error) {
    if (error instanceof UsageError || (error as { code?: string }).code?.startsWith?.('ERR_PARSE_ARGS')) {
      io.err(`aifi: ${(error as Error).message}\nrun 'aifi --help' for usage`);
      return 2;
    }
    if (error instanceof ConfigError || error instanceof StoreError) {
      io.err(`aifi: ${error.message}`);
      return 1;
    }
    io.err(`aifi: ${(error as Error)?.stack ?? String(error)}`);
    return 1;
  }
}
