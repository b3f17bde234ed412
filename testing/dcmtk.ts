import { execFile, execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { tempDir } from './services.ts';

const run = promisify(execFile);

/** Throws unless dcmtk's tools are installed (Debian package dcmtk). */
export function dcmtkInstalled(): void {
  try {
    execFileSync('sh', ['-c', 'command -v storescu && command -v dcmconv && command -v dcmcjpeg && command -v dcmcrle && command -v dcmcjpls && command -v dsrdump'], { stdio: 'ignore' });
  } catch {
    throw new Error('dcmtk is not installed (apt-get install dcmtk)');
  }
}

/** Throws unless dicom3tools' dciodvfy is installed (Debian package dicom3tools). */
export function dciodvfyInstalled(): void {
  try {
    execFileSync('sh', ['-c', 'command -v dciodvfy'], { stdio: 'ignore' });
  } catch {
    throw new Error('dicom3tools is not installed (apt-get install dicom3tools)');
  }
}

/** Runs a dcmtk (or dicom3tools) command; resolves with its exit code and its output, whatever the code. */
export async function tool(command: string, args: string[]): Promise<{ code: number; output: string }> {
  try {
    const { stdout, stderr } = await run(command, args, { maxBuffer: 64 * 1024 * 1024 });
    return { code: 0, output: stdout + stderr };
  } catch (error) {
    const e = error as { code?: number; stdout?: string; stderr?: string };
    return { code: typeof e.code === 'number' ? e.code : 1, output: `${e.stdout ?? ''}${e.stderr ?? ''}` };
  }
}

/** Writes a file to a fresh folder and converts it with a dcmtk converter (dcmconv, dcmcjpeg, dcmcrle, dcmcjpls). */
export async function convert(file: Buffer, command: string, args: string[]): Promise<Buffer> {
  const dir = tempDir('dcmtk');
  try {
    const input = join(dir.path, 'in.dcm');
    const output = join(dir.path, 'out.dcm');
    writeFileSync(input, file);
    const result = await tool(command, [...args, input, output]);
    if (result.code !== 0) throw new Error(`${command} ${args.join(' ')} failed: ${result.output}`);
    const { readFileSync } = await import('node:fs');
    return readFileSync(output);
  } finally {
    dir.remove();
  }
}

export interface StoreOutcome {
  /** The C-STORE response status, or null when no association was made. */
  status: number | null;
  /** The Error Comment (0000,0902) of the response, if any. */
  comment: string;
  output: string;
}

/**
 * Sends one file with dcmtk's storescu, proposing for its SOP class the given
 * transfer syntax alone (a storescu configuration profile with one context).
 */
export async function storescuAlone(file: Buffer, sopClassUid: string, transferSyntax: string, target: { port: number; callingAe: string; calledAe: string }): Promise<StoreOutcome> {
  const dir = tempDir('storescu');
  try {
    const path = join(dir.path, 'instance.dcm');
    const config = join(dir.path, 'alone.cfg');
    writeFileSync(path, file);
    writeFileSync(
      config,
      ['[[TransferSyntaxes]]', '[Alone]', `TransferSyntax1 = ${transferSyntax}`, '[[PresentationContexts]]', '[Alone]', `PresentationContext1 = ${sopClassUid}\\Alone`, '[[Profiles]]', '[Alone]', 'PresentationContexts = Alone', ''].join('\n'),
    );
    const { output } = await tool('storescu', ['-d', '-aet', target.callingAe, '-aec', target.calledAe, '-xf', config, 'Alone', '127.0.0.1', String(target.port), path]);
    const response = output.slice(output.lastIndexOf('C-STORE RSP'));
    const status = /DIMSE Status\s*: 0x([0-9a-fA-F]{4})/.exec(response);
    const comment = /Error Comment\s*: (.*)/.exec(response);
    return { status: status ? parseInt(status[1]!, 16) : null, comment: comment?.[1]?.trim() ?? '', output };
  } finally {
    dir.remove();
  }
}
