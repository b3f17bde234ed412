import { main } from './index.ts';

/**
 * `aifi ARGS` run in this process, with `env` laid over the process's environment for the call
 * (a value of undefined unsets it): its exit code, output and errors as a process of its own
 * prints them, progress written straight to a terminal aside. For tests, where a process per
 * command would check nothing more than the command does. Calls must not overlap.
 */
export async function aifiHere(args: string[], env: Record<string, string | undefined> = {}): Promise<{ code: number; out: string; err: string }> {
  const saved = Object.entries(env).map(([name]) => [name, process.env[name]] as const);
  const set = (name: string, value: string | undefined) => {
    if (value === undefined) delete process.env[name];
    else process.env[name] = value;
  };
  for (const [name, value] of Object.entries(env)) set(name, value);
  let out = '';
  let err = '';
  try {
    const code = await main(args, { out: (t) => void (out += `${t}\n`), err: (t) => void (err += `${t}\n`) });
    return { code, out, err };
  } finally {
    for (const [name, value] of saved) set(name, value);
  }
}
