import dimse from 'dcmjs-dimse';
import type { NaturalDataset } from 'dcmjs';
import type { PacsTarget } from './hospitals.ts';
import { encodeMultipart } from './multipart.ts';

const { Client, Dataset, requests, constants } = dimse;

export class DeliveryError extends Error {
  constructor(
    message: string,
    readonly retryable: boolean,
    /** The DICOM status the PACS answered, when it answered one. */
    readonly status?: number,
  ) {
    super(message);
    this.name = 'DeliveryError';
  }
}

/** What the PACS acknowledged: a success (0) or warning (0xB000-0xBFFF, 0x0107, 0x0116) status. */
export interface Acknowledgement {
  status: number;
}

/** The FailureReason or WarningReason of the first instance in a STOW-RS response (DICOM JSON), if any. */
function stowReason(body: string, tag: '00081197' | '00081196'): number | undefined {
  try {
    const json = JSON.parse(body) as Record<string, { Value?: Record<string, { Value?: unknown[] }>[] }>;
    for (const sequence of ['00081198', '00081199']) {
      const value = json[sequence]?.Value?.[0]?.[tag]?.Value?.[0];
      if (typeof value === 'number') return value;
    }
  } catch {
    // not DICOM JSON: no reason to read
  }
  return undefined;
}

/** Sends one DICOM object to a hospital's PACS by STOW-RS. */
async function stow(target: Extract<PacsTarget, { via: 'stow' }>, file: Buffer, timeoutMs: number): Promise<Acknowledgement> {
  const { body, contentType } = encodeMultipart([{ contentType: 'application/dicom', body: file }]);
  let response: Response;
  try {
    response = await fetch(`${target.url.replace(/\/$/, '')}/studies`, {
      method: 'POST',
      body,
      headers: { ...target.headers, 'content-type': contentType, accept: 'application/dicom+json' },
      signal: AbortSignal.timeout(timeoutMs),
    });
  } catch (error) {
    throw new DeliveryError(`the PACS at ${target.url} is unreachable: ${(error as Error).message}`, true);
  }
  const text = await response.text().catch(() => '');
  if (response.status === 200 || response.status === 202) {
    const failure = stowReason(text, '00081197');
    if (failure === undefined) return { status: stowReason(text, '00081196') ?? (response.status === 202 ? 0xb000 : 0) };
    throw new DeliveryError(`the PACS refused the object (STOW-RS failure reason 0x${failure.toString(16)})`, (failure & 0xff00) === 0xa700, failure);
  }
  const failure = stowReason(text, '00081197');
  throw new DeliveryError(`the PACS answered ${response.status} to STOW-RS: ${text.slice(0, 200)}`, response.status >= 500 || response.status === 429, failure);
}

/** Sends one DICOM object to a hospital's PACS by C-STORE. */
function cStore(target: Extract<PacsTarget, { via: 'c-store' }>, dataset: NaturalDataset, callingAe: string, timeoutMs: number): Promise<Acknowledgement> {
  return new Promise((resolve, reject) => {
    const client = new Client();
    const request = new requests.CStoreRequest(new Dataset(dataset, constants.TransferSyntax.ExplicitVRLittleEndian));
    let settled = false;
    const settle = (error?: DeliveryError, status = 0) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      if (error) reject(error);
      else resolve({ status });
    };
    const timer = setTimeout(() => settle(new DeliveryError(`no C-STORE answer from ${target.aeTitle} within ${timeoutMs} ms`, true)), timeoutMs);
    request.on('response', (response) => {
      const status = response.getStatus();
      if (status === constants.Status.Success || (status & 0xf000) === 0xb000 || status === 0x0107 || status === 0x0116) settle(undefined, status);
      else settle(new DeliveryError(`the PACS answered C-STORE status 0x${status.toString(16)}`, (status & 0xff00) === 0xa700, status));
    });
    client.on('associationRejected', (result) => settle(new DeliveryError(`the PACS refused the association: ${JSON.stringify(result)}`, false)));
    client.on('networkError', (error) => settle(new DeliveryError(`the PACS at ${target.host}:${target.port} is unreachable: ${error.message}`, true)));
    client.on('closed', () => settle(new DeliveryError('the association closed before an answer', true)));
    client.addRequest(request);
    client.send(target.host, target.port, callingAe, target.aeTitle);
  });
}

/** Sends a result object to the PACS as configured; one attempt; resolves with what the PACS acknowledged. */
export async function sendToPacs(target: PacsTarget, file: Buffer, dataset: NaturalDataset, callingAe: string, timeoutMs: number): Promise<Acknowledgement> {
  if (target.via === 'stow') return stow(target, file, timeoutMs);
  return cStore(target, dataset, callingAe, timeoutMs);
}
