import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { freePort, startService, tempDir } from './services.ts';

export const ORTHANC_DICOMWEB_PLUGIN = '/usr/share/orthanc/plugins/libOrthancDicomWeb.so';

/** Throws unless Debian's Orthanc and its DICOMweb plugin are installed. */
export function orthancInstalled(): void {
  try {
    execFileSync('sh', ['-c', `command -v Orthanc && test -f ${ORTHANC_DICOMWEB_PLUGIN}`], { stdio: 'ignore' });
  } catch {
    throw new Error('Orthanc with its DICOMweb plugin is not installed (apt-get install orthanc orthanc-dicomweb)');
  }
}

export interface OrthancOptions {
  aeTitle: string;
  /** DICOMweb servers Orthanc can push to: name → URL and extra HTTP headers. */
  dicomWebServers?: Record<string, { url: string; headers?: Record<string, string> }>;
  /** DICOM peers Orthanc can C-STORE to: name → [AE title, host, port]. */
  modalities?: Record<string, [string, string, number]>;
}

export interface Orthanc {
  url: string;
  dicomPort: number;
  /** Orthanc's REST API, JSON in and out; throws with Orthanc's answer on an HTTP error. */
  api: <T = unknown>(method: string, path: string, body?: unknown) => Promise<T>;
  /** Stores a DICOM file; returns Orthanc's ids. */
  upload: (file: Buffer) => Promise<{ ID: string; ParentStudy: string }>;
  stop: () => Promise<void>;
}

/** Starts Debian's Orthanc (a PACS) with its own storage; sends go to 127.0.0.1 only. */
export async function startOrthanc(options: OrthancOptions): Promise<Orthanc> {
  const dir = tempDir('orthanc');
  const [httpPort, dicomPort] = [await freePort(), await freePort()];
  const config = {
    Name: options.aeTitle,
    StorageDirectory: join(dir.path, 'storage'),
    IndexDirectory: join(dir.path, 'storage'),
    HttpPort: httpPort,
    DicomPort: dicomPort,
    DicomAet: options.aeTitle,
    RemoteAccessAllowed: false,
    AuthenticationEnabled: false,
    HttpTimeout: 60,
    DicomScuTimeout: 30,
    Plugins: [ORTHANC_DICOMWEB_PLUGIN],
    DicomModalities: options.modalities ?? {},
    DicomWeb: {
      Enable: true,
      Root: '/dicom-web/',
      Servers: Object.fromEntries(
        Object.entries(options.dicomWebServers ?? {}).map(([name, s]) => [name, { Url: s.url, HttpHeaders: s.headers ?? {} }]),
      ),
    },
  };
  writeFileSync(join(dir.path, 'orthanc.json'), JSON.stringify(config, null, 2));
  const url = `http://127.0.0.1:${httpPort}`;
  const api = async <T>(method: string, path: string, body?: unknown): Promise<T> => {
    const response = await fetch(`${url}${path}`, {
      method,
      headers: body instanceof Buffer ? { 'content-type': 'application/dicom' } : { 'content-type': 'application/json' },
      body: body === undefined ? undefined : body instanceof Buffer ? body : JSON.stringify(body),
    });
    const text = await response.text();
    if (!response.ok) throw new Error(`Orthanc ${method} ${path} answered ${response.status}: ${text.slice(0, 500)}`);
    return (text ? JSON.parse(text) : undefined) as T;
  };
  const orthanc = await startService('Orthanc', 'Orthanc', [join(dir.path, 'orthanc.json')], dir, async () => (await fetch(`${url}/system`)).ok);
  return {
    url,
    dicomPort,
    api,
    upload: (file) => api('POST', '/instances', file),
    stop: orthanc.stop,
  };
}
